package dev.specfault.pmap.phys;

import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The emulated machine's physical memory: real bytes, off-heap, in 4 KiB frames.
 *
 * <h2>Layout</h2>
 * <pre>
 *   frame f ──▶ bank f / FRAMES_PER_BANK, byte offset (f % FRAMES_PER_BANK) * 4096
 *
 *   bank 0: [frame 0][frame 1] ... [frame 524286]     one Agrona UnsafeBuffer over a direct,
 *   bank 1: [frame 524287] ...                        page-aligned ByteBuffer (≤ 2 GiB each)
 * </pre>
 * One Agrona buffer is indexed by {@code int}, so it holds at most 2 GiB: 524,287 frames. Larger
 * memories use several banks. Frame 0 exists but the allocator never hands it out, so a zero
 * frame number can mean "none" in a PTE or a table, as a zero PTE means "not present".
 *
 * <h2>Access modes</h2>
 * Page-table entries and data words are 8 bytes, 8-byte aligned, so every access is single-copy
 * atomic. The accessor names say the mode: {@code getAcquire} (what a hardware walker or an emulated
 * CPU load uses), {@code putRelease} (an emulated store: x86 is TSO, which acquire loads and release
 * stores implement; arm64 allows more reordering, so release is a legal, stronger choice),
 * {@code getOpaque} (software reading a PTE once into a local), {@code cas}, {@code getAndSet}.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after construction
 *   words of frames: accessed only through the atomic accessors below
 * </pre>
 */
public final class PhysicalMemory {
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /**
     * Frames in one bank: the most an int-indexed Agrona buffer holds once
     * {@code BufferUtil.allocateDirectAligned} has added its page of alignment slack.
     */
    public static final int FRAMES_PER_BANK = (Integer.MAX_VALUE - PAGE_SIZE) / PAGE_SIZE;
    /** Words (8 bytes) in a frame: also the number of entries of a page-table page. */
    public static final int WORDS_PER_FRAME = PAGE_SIZE / 8;

    /** A page of zeros, never written: what {@link #isZero} compares with. */
    private static final ByteBuffer ZERO_PAGE = ByteBuffer.allocateDirect(PAGE_SIZE).asReadOnlyBuffer();

    private final long frames;                 // [I]
    private final AtomicBuffer[] banks;        // [I]
    private final ByteBuffer[] raw;            // [I] the banks' buffers, for bulk comparisons
    private final boolean singleBank;          // [I]
    private final AtomicBuffer bank0;          // [I]

    /**
     * Allocates {@code frames} frames of zeroed off-heap memory.
     *
     * @throws IllegalArgumentException if frames is not positive or exceeds 2^40 (4 PiB)
     */
    public PhysicalMemory(long frames) {
        if (frames < 2 || frames > (1L << 40)) {
            throw new IllegalArgumentException("physical memory must have 2 to 2^40 frames: " + frames);
        }
        this.frames = frames;
        final int nBanks = (int) ((frames + FRAMES_PER_BANK - 1) / FRAMES_PER_BANK);
        this.banks = new AtomicBuffer[nBanks];
        this.raw = new ByteBuffer[nBanks];
        for (int b = 0; b < nBanks; b++) {
            final long inBank = Math.min(FRAMES_PER_BANK, frames - (long) b * FRAMES_PER_BANK);
            final ByteBuffer bb = BufferUtil.allocateDirectAligned((int) (inBank * PAGE_SIZE), PAGE_SIZE);
            banks[b] = new UnsafeBuffer(bb);
            raw[b] = bb;
        }
        this.singleBank = nBanks == 1;
        this.bank0 = banks[0];
    }

    /** Number of frames. */
    public long frames() {
        return frames;
    }

    /** Bytes of physical memory. */
    public long bytes() {
        return frames * PAGE_SIZE;
    }

    private AtomicBuffer bank(long frame) {
        return singleBank ? bank0 : banks[(int) (frame / FRAMES_PER_BANK)];
    }

    private static int offset(long frame, int word) {
        return (int) (frame % FRAMES_PER_BANK) * PAGE_SIZE + (word << 3);
    }

    /** => 0 <= frame < frames(), 0 <= word < 512. The word, as a hardware walker or a CPU load reads it. */
    public long getAcquire(long frame, int word) {
        assert valid(frame, word) : frame + ":" + word;
        return bank(frame).getLongAcquire(offset(frame, word));
    }

    /** Software reading a shared word once into a local. */
    public long getOpaque(long frame, int word) {
        assert valid(frame, word) : frame + ":" + word;
        return bank(frame).getLongOpaque(offset(frame, word));
    }

    /** A volatile read: for checkers that need a total order with other volatile accesses. */
    public long getVolatile(long frame, int word) {
        assert valid(frame, word) : frame + ":" + word;
        return bank(frame).getLongVolatile(offset(frame, word));
    }

    /** An emulated CPU store, or a PTE store whose earlier writes must be visible first. */
    public void putRelease(long frame, int word, long value) {
        assert valid(frame, word) : frame + ":" + word;
        bank(frame).putLongRelease(offset(frame, word), value);
    }

    /** A store with a full fence after it (x86 XCHG-like), e.g. a PTE that must be seen before later loads. */
    public void putVolatile(long frame, int word, long value) {
        assert valid(frame, word) : frame + ":" + word;
        bank(frame).putLongVolatile(offset(frame, word), value);
    }

    /** Compare-and-set: hardware A/D updates, table installs, PTE changes without the PTL. */
    public boolean cas(long frame, int word, long expect, long update) {
        assert valid(frame, word) : frame + ":" + word;
        return bank(frame).compareAndSetLong(offset(frame, word), expect, update);
    }

    /** Get-and-set: a zap uses it with 0 so that a dirty bit set concurrently by hardware is not lost. */
    public long getAndSet(long frame, int word, long value) {
        assert valid(frame, word) : frame + ":" + word;
        return bank(frame).getAndSetLong(offset(frame, word), value);
    }

    /** Fills a whole frame with zeros (a new data page or table page). */
    public void zero(long frame) {
        assert valid(frame, 0) : frame;
        bank(frame).setMemory(offset(frame, 0), PAGE_SIZE, (byte) 0);
    }

    /**
     * Fills a whole frame with one 8-byte pattern (poisoning a freed frame): one memset when the
     * pattern is a repeated byte (as Linux's page poison is), else word by word.
     */
    public void fill(long frame, long pattern) {
        final AtomicBuffer b = bank(frame);
        final int base = offset(frame, 0);
        final byte low = (byte) pattern;
        if (pattern == (low & 0xffL) * 0x0101_0101_0101_0101L) {
            b.setMemory(base, PAGE_SIZE, low);
        } else {
            for (int w = 0; w < WORDS_PER_FRAME; w++) {
                b.putLong(base + (w << 3), pattern);
            }
        }
        java.lang.invoke.VarHandle.releaseFence();
    }

    /**
     * Copies a frame's contents (a COW break) word by word: each 8-byte word is read once, opaque,
     * so a word that another CPU writes during the copy is copied whole, old or new, never torn
     * (a byte-wise memcpy could mix them). The destination is published later by the PTE's
     * release store.
     */
    public void copy(long from, long to) {
        final AtomicBuffer src = bank(from);
        final AtomicBuffer dst = bank(to);
        final int s = offset(from, 0);
        final int d = offset(to, 0);
        for (int w = 0; w < WORDS_PER_FRAME; w++) {
            dst.putLong(d + (w << 3), src.getLongOpaque(s + (w << 3)));
        }
    }

    /**
     * Whether every word of a frame is 0 (whether a table page is empty): one vectorized comparison
     * with a page of zeros ({@link ByteBuffer#mismatch}), each byte read once. Its callers ask only
     * where no word can go from zero to non-zero meanwhile (under the table's PTL, or a detached
     * table after its grace period), so reading a word in pieces cannot make a non-empty page look
     * empty. One call, so that a model checker that treats this class as atomic sees one event, not
     * a 512-iteration loop it would take for a livelock. (The grace-period thread checks every freed
     * table page; word by word, that was half of its CPU time in mmap_churn.)
     */
    public boolean isZero(long frame) {
        assert valid(frame, 0) : frame;
        final ByteBuffer bank = singleBank ? raw[0] : raw[(int) (frame / FRAMES_PER_BANK)];
        return bank.slice(offset(frame, 0), PAGE_SIZE).mismatch(ZERO_PAGE) < 0;
    }

    private boolean valid(long frame, int word) {
        return frame >= 0 && frame < frames && word >= 0 && word < WORDS_PER_FRAME;
    }
}
