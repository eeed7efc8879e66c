package dev.specfault.fault;

import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.vma.Area;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A memfd-like file: a size, set at creation ({@code memfd_create} + {@code ftruncate}) and changed
 * by {@link #truncate} up to the capacity it was made with, and a page cache shared by every mapping
 * of it. Shared anonymous memory is such a file too (Linux backs it with shmem).
 *
 * <h2>Page cache</h2>
 * One slot per page, {@code 0} or {@code frame + 1}, in leaves of 512 slots made on first use (a
 * two-level radix tree, as Linux's xarray: a sparse file of a terabyte costs its top level, 2 MiB,
 * not a slot per page). A page is created on first touch, zeroed, and
 * installed by CAS (a loser frees its frame): lock-free, so a speculative fault can find its page
 * without any lock. The cache holds one reference on each page; a caller gets its own with
 * get-unless-zero ({@link #getPage}), so a page the cache drops concurrently is never resurrected.
 *
 * <h2>Truncation</h2>
 * {@link #truncate} to a smaller size, as Linux's {@code truncate_setsize} + {@code
 * truncate_pagecache}: the new size first (a fault that looks at it afterwards gets SIGBUS past it),
 * the tail of a last partial page zeroed, the pages past it taken out of the cache, then every
 * space that maps the file drops its PTEs past the new end, private copies included
 * ({@code unmap_mapping_range} with {@code even_cows}). Linux finds the mappings through the
 * file's {@code i_mmap} tree, without the mmap lock; here each space that ever mapped the file is
 * registered ({@link Mapper}) and does the zap under its own writer lock, as MADV_DONTNEED's zap,
 * which a fault in progress either finishes before (the locked design's faults hold the map lock)
 * or notices (the speculative design's per-area write sequence). A space registered while the zap
 * went on (a fork's child, made under its parent's writer lock) is zapped in another pass. A page
 * a racing miss inserts past the new end is taken out again by the miss itself: it reads the size
 * after its insert, the truncation reads the slot after its size write.
 *
 * <h2>Lifetime</h2>
 * Reference-counted: the creator holds one ({@link #close()} drops it) and every VMA record that maps
 * the file holds one, dropped after an SRCU grace period of the space that retired the record. When
 * the count reaches zero the cache drops its pages (the frames go back when no PTE maps them).
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [a] atomic
 * </pre>
 */
public final class FileObject {
    /** {@link #getPage} result for a page at or beyond the end of the file. */
    public static final long SIGBUS = -2;

    /**
     * What kind of object a mapping of this one is. A plain file, or one of the kernel's special
     * mappings (what {@code _install_special_mapping} makes, as a replay's initial maps list them):
     * {@link #SPECIAL} ([vdso]) cannot be split (special_mapping_split: EINVAL) or grown (VM_DONTEXPAND:
     * mremap EFAULT); {@link #PFN} ([vvar], [vvar_vclock]) is also VM_PFNMAP without VM_MAYWRITE and
     * VM_MAYEXEC (mprotect to W or X: EACCES; madvise: EINVAL).
     */
    public enum Kind { FILE, SPECIAL, PFN }

    /** A space that maps (or once mapped) a file: {@link #truncate} asks it to drop its PTEs past the end. */
    public interface Mapper {
        /**
         * Drops, under the space's writer lock, every PTE of {@code file}'s pages from {@code fromPgoff}
         * on in the areas that map it, private copies included; nothing if the space exited.
         */
        void truncateZap(FileObject file, long fromPgoff);
    }

    /** The largest file the page cache takes: 1 TiB (its top level is then 2^19 leaves). */
    public static final long MAX_SIZE = 1L << 40;
    private static final int LEAF_SHIFT = 9;
    private static final int LEAF_MASK = (1 << LEAF_SHIFT) - 1;

    private final String name; // [I]
    /** Bytes; written by {@link #truncate} (under {@link #truncateLock}) before it drops any page. */
    private volatile long size; // [a]
    private final FrameAllocator frames; // [I]
    /** Pages in the file, {@code ceil(size / PAGE_SIZE)}: a miss reads it again after its insert. */
    private volatile long pageCount; // [a]
    /** The largest size {@link #truncate} may set: the cache's top level is made for it. */
    private final long capacity; // [I] bytes
    /**
     * The spaces to zap on a truncation (each added once, by the writer that maps the file there),
     * in the order they came: a few, and iterated in an order that depends on nothing else (a hash
     * set's walk of its bins depended on the spaces' hashes, and Lincheck's model checker took the
     * walk over a sparse table for a spin loop in one run of a scenario and not in its replay). [a]
     */
    private final Set<Mapper> mappers = new CopyOnWriteArraySet<>();
    /** {@code i_rwsem}: one truncation at a time. */
    private final Object truncateLock = new Object(); // [I]
    private final AtomicReferenceArray<AtomicLongArray> leaves; // [a] 512 slots of frame + 1 each, made on first use
    private final AtomicInteger refs = new AtomicInteger(1); // [a]
    private final Kind kind; // [I]
    /** The seeded bug page-cache-unchecked-insert: a miss installs its page by a plain store. */
    private final boolean uncheckedInsert; // [I]
    /** The seeded bug page-cache-miss-past-end: a miss does not look at the size again after its insert. */
    private final boolean missPastEnd; // [I]
    /** Tests: runs after each pass of a truncation's zaps (null: none). */
    private volatile Runnable zapPassHook; // [a]
    /** Tests: runs on a miss after its new page is made, before the page is installed. */
    private volatile Runnable missHook; // [a] set by tests before a race, read on each miss
    /** Files made so far: each one's {@link #hashCode} comes from it. */
    private static final AtomicInteger MADE = new AtomicInteger(); // [a]
    private final int hash = MADE.incrementAndGet() * 0x9E3779B9; // [I]

    public FileObject(String name, long size, FrameAllocator frames) {
        this(name, size, frames, Kind.FILE);
    }

    public FileObject(String name, long size, FrameAllocator frames, Kind kind) {
        this(name, size, frames, kind, Set.of(), size);
    }

    /**
     * A plain file with the seeded bugs of {@code bugs} that are the page cache's
     * ({@link FaultBug#PAGE_CACHE_UNCHECKED_INSERT}, {@link FaultBug#PAGE_CACHE_MISS_PAST_END}).
     */
    public FileObject(String name, long size, FrameAllocator frames, Set<FaultBug> bugs) {
        this(name, size, size, frames, bugs);
    }

    /** A plain file that {@link #truncate} may grow up to {@code capacity} bytes, with the page cache's seeded bugs of {@code bugs}. */
    public FileObject(String name, long size, long capacity, FrameAllocator frames, Set<FaultBug> bugs) {
        this(name, size, frames, Kind.FILE, bugs, capacity);
    }

    private FileObject(String name, long size, FrameAllocator frames, Kind kind, Set<FaultBug> bugs, long capacity) {
        this.uncheckedInsert = bugs.contains(FaultBug.PAGE_CACHE_UNCHECKED_INSERT);
        this.missPastEnd = bugs.contains(FaultBug.PAGE_CACHE_MISS_PAST_END);
        if (size < 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("file size " + size + " (the page cache takes 0 to " + MAX_SIZE + " bytes)");
        }
        if (capacity < size || capacity > MAX_SIZE) {
            throw new IllegalArgumentException("file capacity " + capacity + " (from its size " + size + " to " + MAX_SIZE + " bytes)");
        }
        this.name = name;
        this.size = size;
        this.capacity = capacity;
        this.frames = frames;
        this.kind = kind;
        this.pageCount = Mman.pageAlign(size) / Mman.PAGE_SIZE;
        this.leaves = new AtomicReferenceArray<>((int) ((Mman.pageAlign(capacity) / Mman.PAGE_SIZE + LEAF_MASK) >>> LEAF_SHIFT));
    }

    /** The leaf holding page {@code i}'s slot, made if absent (by CAS: a loser drops its own). */
    private AtomicLongArray leaf(long i) {
        final int k = (int) (i >>> LEAF_SHIFT);
        final AtomicLongArray l = leaves.get(k);
        if (l != null) {
            return l;
        }
        final AtomicLongArray made = new AtomicLongArray(1 << LEAF_SHIFT);
        return leaves.compareAndSet(k, null, made) ? made : leaves.get(k);
    }

    public String name() {
        return name;
    }

    /** A new file of the same size, kind and seeded bugs, with an empty page cache (memfd_create + ftruncate again). */
    public FileObject like(String newName) {
        return new FileObject(newName, size, frames, kind, bugs(), capacity);
    }

    public Kind kind() {
        return kind;
    }

    /** The page cache's seeded bugs this file has. */
    private Set<FaultBug> bugs() {
        final Set<FaultBug> b = EnumSet.noneOf(FaultBug.class);
        if (uncheckedInsert) {
            b.add(FaultBug.PAGE_CACHE_UNCHECKED_INSERT);
        }
        if (missPastEnd) {
            b.add(FaultBug.PAGE_CACHE_MISS_PAST_END);
        }
        return b;
    }

    /** The kind of object {@code a} maps: {@link Kind#FILE} for anonymous memory too. */
    public static Kind kindOf(Area a) {
        return a.backing() instanceof FileObject f ? f.kind : Kind.FILE;
    }

    public long size() {
        return size;
    }

    /** The largest size {@link #truncate} may set. */
    public long capacity() {
        return capacity;
    }

    /** Registers a space that maps this file (once; later calls do nothing). */
    public void addMapper(Mapper m) {
        mappers.add(m);
    }

    /** Tests: the spaces registered. */
    int mapperCount() {
        return mappers.size();
    }

    /** The space's last area mapping the file went, or the space exited. */
    public void removeMapper(Mapper m) {
        mappers.remove(m);
    }

    /**
     * {@code ftruncate(fd, length)}: 0, {@code -EINVAL} for a negative length or a special mapping's
     * object, {@code -EFBIG} past the capacity. Shrinking drops the pages past the new end from the
     * cache and from every mapping (see the class comment); the rest of a last partial page reads as
     * zeros. Growing makes the new pages appear, zeroed, at the first touch.
     */
    public long truncate(long length) {
        if (length < 0 || kind != Kind.FILE) {
            return -Errno.EINVAL;
        }
        if (length > capacity) {
            return -Errno.EFBIG;
        }
        if (!pin()) {
            return -Errno.EINVAL; // no descriptor or mapping left: nobody can call it
        }
        try {
            synchronized (truncateLock) {
                return truncatePinned(length);
            }
        } finally {
            release();
        }
    }

    /**
     * A reference for the length of a call (ftruncate's and pwrite's on their {@code struct file}),
     * so that the cache's pages cannot go while it writes them; false if the file is gone already.
     */
    private boolean pin() {
        for (;;) {
            final int r = refs.get();
            if (r <= 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    /** => {@link #truncateLock}, a reference held. */
    private long truncatePinned(long length) {
        final long oldPages = pageCount;
        final long newPages = Mman.pageAlign(length) / Mman.PAGE_SIZE;
        final boolean truncates = length <= size; // shmem_setattr: newsize <= oldsize truncates (the same size too)
        size = length;
        pageCount = newPages;
        if (!truncates) {
            return 0;
        }
        if ((length & (Mman.PAGE_SIZE - 1)) != 0) {
            zeroTail(length); // truncate_inode_partial_folio
        }
        for (long i = newPages; i < oldPages; i++) {
            final AtomicLongArray l = leaves.get((int) (i >>> LEAF_SHIFT));
            if (l == null) {
                i |= LEAF_MASK; // a leaf never made: no page in it
                continue;
            }
            final int k = (int) i & LEAF_MASK;
            final long v = l.get(k);
            if (v != 0 && l.compareAndSet(k, v, 0)) {
                frames.put(v - 1); // the cache's reference; the mappings keep theirs until zapped
            }
        }
        final List<Mapper> done = new ArrayList<>(); // a few: compared by identity
        for (;;) {
            final List<Mapper> todo = new ArrayList<>();
            for (Mapper m : mappers) {
                if (!done.contains(m)) {
                    todo.add(m);
                }
            }
            if (todo.isEmpty()) {
                return 0;
            }
            for (Mapper m : todo) {
                m.truncateZap(this, newPages);
                done.add(m);
            }
            final Runnable hook = zapPassHook;
            if (hook != null) {
                hook.run();
            }
        }
    }

    /** Zeroes the bytes of the last page from {@code length} on, if the page is cached. */
    private void zeroTail(long length) {
        final long f = cachedFrame(length >>> PhysicalMemory.PAGE_SHIFT);
        if (f < 0) {
            return;
        }
        int w = (int) (length & (Mman.PAGE_SIZE - 1)) >>> 3;
        final int keep = (int) (length & 7);
        if (keep != 0) {
            final long mask = -1L >>> (64 - 8 * keep); // little-endian: the low bytes come first
            // A compare-and-set: a store through a mapping to the bytes below the end, between a read
            // and a write of the word, must not be undone (Linux clears only [length, PAGE_SIZE)).
            long cur;
            do {
                cur = frames.memory().getAcquire(f, w);
            } while (!frames.memory().cas(f, w, cur, cur & mask));
            w++;
        }
        for (; w < PhysicalMemory.WORDS_PER_FRAME; w++) {
            frames.memory().putRelease(f, w, 0);
        }
    }

    /** Pages in the file: accesses at or beyond this page index get SIGBUS. */
    public long pageCount() {
        return pageCount;
    }

    /** Tests: {@code r} runs after each pass of a truncation's zaps, under its lock (null: none). */
    void zapPassHook(Runnable r) {
        zapPassHook = r;
    }

    /** Tests: {@code r} runs on each miss between the new page's allocation and its installation (null: none). */
    void missHook(Runnable r) {
        missHook = r;
    }

    /** Takes a reference (a new VMA record maps the file). */
    public void acquire() {
        for (;;) {
            final int r = refs.get();
            if (r <= 0) {
                throw new IllegalStateException("file " + name + " already released");
            }
            if (refs.compareAndSet(r, r + 1)) {
                return;
            }
        }
    }

    /** Drops a reference; the last one drops the page cache. */
    public void release() {
        final int r = refs.decrementAndGet();
        if (r < 0) {
            throw new IllegalStateException("file " + name + " released too often");
        }
        if (r == 0) {
            for (int k = 0; k < leaves.length(); k++) {
                final AtomicLongArray l = leaves.get(k);
                for (int i = 0; l != null && i < l.length(); i++) {
                    final long v = l.getAndSet(i, 0);
                    if (v != 0) {
                        frames.put(v - 1);
                    }
                }
            }
        }
    }

    /** The creator's reference (memfd's file descriptor) is closed. */
    public void close() {
        release();
    }

    public int refs() {
        return refs.get();
    }

    /**
     * The frame caching page {@code pgoff}, created zeroed if absent, with a reference taken for the
     * caller (who puts it when done); {@link #SIGBUS} beyond the end; {@link FrameAllocator#OOM}.
     */
    public long getPage(long pgoff, FrameCache cache) {
        if (pgoff < 0 || pgoff >= pageCount) { // a volatile read: after a truncation's size write, SIGBUS
            return SIGBUS;
        }
        final AtomicLongArray pages = leaf(pgoff);
        final int i = (int) pgoff & LEAF_MASK;
        for (;;) {
            final long v = pages.get(i);
            if (v != 0) {
                if (frames.getUnlessZero(v - 1)) {
                    if (pages.get(i) == v) {
                        return v - 1;
                    }
                    frames.put(v - 1, cache); // dropped and maybe reused meanwhile: look again
                    continue;
                }
                if (refs.get() <= 0) {
                    return SIGBUS; // released: the file is gone (only a stale mapping can ask)
                }
                continue;
            }
            if (refs.get() <= 0) {
                return SIGBUS;
            }
            final long f = frames.alloc(cache, FrameAllocator.DATA, true);
            if (f == FrameAllocator.OOM) {
                return FrameAllocator.OOM;
            }
            frames.get(f); // the caller's reference; the allocation's is the cache's
            final Runnable hook = missHook;
            if (hook != null) {
                hook.run();
            }
            if (uncheckedInsert) {
                // Seeded bug: the slot was empty when looked at, so store without checking again. A
                // page another fault installed meanwhile is replaced: its mappings keep a page the
                // file no longer has (their stores are lost to pread and to later faults), and the
                // cache's reference on it is never dropped.
                pages.set(i, f + 1);
                return f;
            }
            if (pages.compareAndSet(i, 0, f + 1)) {
                if (!missPastEnd && pgoff >= pageCount && pages.compareAndSet(i, f + 1, 0)) {
                    // A truncation wrote the new size after we looked and may have scanned this
                    // slot before our insert: take the page out again (if the truncation did not).
                    frames.put(f, cache);
                    frames.put(f, cache);
                    return SIGBUS;
                }
                if (refs.get() <= 0 && pages.compareAndSet(i, f + 1, 0)) {
                    // The last reference went meanwhile and release() may have walked this slot
                    // already: take the page back out rather than leave it in a dead cache.
                    frames.put(f, cache);
                    frames.put(f, cache);
                    return SIGBUS;
                }
                return f;
            }
            frames.put(f, cache);
            frames.put(f, cache);
        }
    }

    /** The cached frame of a page, or -1 (no reference taken; for checkers in a quiet state). */
    public long cachedFrame(long pgoff) {
        if (pgoff < 0 || pgoff >= leaves.length() * (long) (LEAF_MASK + 1)) {
            return -1;
        }
        final AtomicLongArray l = leaves.get((int) (pgoff >>> LEAF_SHIFT));
        final long v = l == null ? 0 : l.get((int) pgoff & LEAF_MASK);
        return v == 0 ? -1 : v - 1;
    }

    /** pread of one 8-byte word at byte offset {@code off} (0 for a page never written). */
    public long readWord(long off) {
        return readWord(off, () -> false);
    }

    /**
     * pread of one 8-byte word at byte offset {@code off} (0 for a page never written). A miss
     * that finds no free frame calls {@code reclaim} ({@link AddressSpace#reclaim}: frames a
     * speculative space's records hold until a grace period are not free yet) and tries again
     * while it frees some, as the kernel's allocator reclaims before it fails.
     *
     * @throws IllegalArgumentException at or past the end of the file (or after its last close)
     * @throws IllegalStateException out of frames, after reclaim freed none
     */
    public long readWord(long off, java.util.function.BooleanSupplier reclaim) {
        final long[] w = new long[1];
        final long r = pread(off, w, reclaim);
        if (r == 8) {
            return w[0];
        }
        if (r == -Errno.ENOMEM) {
            throw new IllegalStateException("pread of " + name + " at " + off + ": out of frames (ENOMEM)");
        }
        throw new IllegalArgumentException("offset " + off + " beyond " + name);
    }

    /** pwrite of one 8-byte word at byte offset {@code off}. */
    public void writeWord(long off, long v) {
        final long f = getPage(off >>> PhysicalMemory.PAGE_SHIFT, null);
        if (f < 0) {
            throw new IllegalArgumentException("offset " + off + " beyond " + name);
        }
        try {
            frames.memory().putRelease(f, (int) (off & (Mman.PAGE_SIZE - 1)) >>> 3, v);
        } finally {
            frames.put(f);
        }
    }

    /**
     * {@code pread} of the 8-byte word at {@code off} (8-aligned) into {@code word[0]}. Takes no
     * lock, as Linux's (a truncation racing it gives either answer). A page-cache miss that finds no
     * free frame calls {@code reclaim} ({@link AddressSpace#reclaim}) and tries again while that frees
     * some, as the kernel's allocator reclaims before it fails.
     *
     * @return 8 (the word read), 0 at or past the end of the file (a read of 0 bytes, also when a
     *         truncation took the page meanwhile), {@code -EINVAL} for a negative offset,
     *         {@code -ENOMEM} with no frame left after reclaim
     */
    public long pread(long off, long[] word, java.util.function.BooleanSupplier reclaim) {
        if (off < 0) {
            return -Errno.EINVAL;
        }
        for (;;) {
            if (off + 8 > size) {
                return 0;
            }
            final long f = getPage(off >>> PhysicalMemory.PAGE_SHIFT, null);
            if (f == FrameAllocator.OOM) {
                if (!reclaim.getAsBoolean()) {
                    return -Errno.ENOMEM;
                }
                continue;
            }
            if (f < 0) {
                return 0; // truncated meanwhile
            }
            try {
                word[0] = frames.memory().getAcquire(f, (int) (off & (Mman.PAGE_SIZE - 1)) >>> 3);
            } finally {
                frames.put(f);
            }
            return 8;
        }
    }

    /**
     * {@link #pread(long, long[], java.util.function.BooleanSupplier)} without reclaim (tests): the
     * word, or empty at or past the end.
     *
     * @throws IllegalStateException with no frame left (ENOMEM)
     */
    public java.util.OptionalLong pread(long off) {
        final long[] w = new long[1];
        final long r = pread(off, w, () -> false);
        if (r < 0 && r != -Errno.EINVAL) {
            throw new IllegalStateException("pread of " + name + " at " + off + ": " + Errno.format(r));
        }
        return r == 8 ? java.util.OptionalLong.of(w[0]) : java.util.OptionalLong.empty();
    }

    /**
     * {@code pwrite} of an 8-byte word at {@code off} (8-aligned), under the file's lock (the inode
     * lock, which a truncation holds too): a write past the end extends the file to {@code off + 8}.
     * A page-cache miss with no free frame drops the lock, calls {@code reclaim} and tries again
     * while that frees some (reclaim waits for SRCU callbacks, which may drop file references: not
     * under the lock).
     *
     * @return 0, {@code -EFBIG} past the capacity, {@code -EINVAL} for a negative offset or a file
     *         no one holds, {@code -ENOMEM} with no frame left after reclaim (the size unchanged)
     */
    public long pwrite(long off, long v, java.util.function.BooleanSupplier reclaim) {
        if (off < 0 || kind != Kind.FILE) {
            return -Errno.EINVAL;
        }
        if (off + 8 > capacity) {
            return -Errno.EFBIG;
        }
        if (!pin()) {
            return -Errno.EINVAL;
        }
        try {
            for (;;) {
                final long r;
                synchronized (truncateLock) {
                    r = pwritePinned(off, v);
                }
                if (r != -Errno.ENOMEM || !reclaim.getAsBoolean()) {
                    return r;
                }
            }
        } finally {
            release();
        }
    }

    /** {@link #pwrite(long, long, java.util.function.BooleanSupplier)} without reclaim. */
    public long pwrite(long off, long v) {
        return pwrite(off, v, () -> false);
    }

    /** => {@link #truncateLock}, a reference held. */
    private long pwritePinned(long off, long v) {
        final long oldSize = size;
        if (off + 8 > size) {
            size = off + 8;
            pageCount = Mman.pageAlign(off + 8) / Mman.PAGE_SIZE;
        }
        final long f = getPage(off >>> PhysicalMemory.PAGE_SHIFT, null);
        if (f < 0) {
            // No frame (within the size, under the lock: never SIGBUS). A failed write leaves the
            // size as it was: the extension is truncated away again, as the kernel's write_failed
            // paths truncate the page cache back to i_size (a fault may have put a page past the
            // old end meanwhile).
            if (size != oldSize) {
                truncatePinned(oldSize);
            }
            return -Errno.ENOMEM;
        }
        try {
            frames.memory().putRelease(f, (int) (off & (Mman.PAGE_SIZE - 1)) >>> 3, v);
        } finally {
            frames.put(f);
        }
        return 0;
    }

    /**
     * Identity equality, with a hash of its own rather than the identity hash: the locked design keys
     * its object locks by file, and Lincheck's model checker rewrites identity hash codes between the
     * harness's set-up and its threads (a lock registered at mmap was then not found by a fault).
     */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "file[" + name + ", " + size + " bytes, refs " + refs.get() + "]";
    }
}
