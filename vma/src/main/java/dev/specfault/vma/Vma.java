package dev.specfault.vma;

import dev.specfault.srcu.pool.Pooled;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A VMA record of the speculative design: one {@link Area}, immutable while live, in a
 * {@link VmaTree}, pooled and reclaimed through SRCU.
 *
 * <h2>Lifecycle</h2>
 * <pre>
 *   pool.allocate ─▶ init(area) ─▶ published (tree root store) ─▶ markDead ─▶ replaced (root store)
 *     (incarnation+1)   [writer]        LIVE, seq even   ⇄ odd        DEAD         │
 *                                       (beginWrite/endWrite)                      ▼
 *   free list ◀── quarantine ◀── poison ◀──────── grace period ◀────────── retire (call_srcu)
 * </pre>
 * A writer that replaces a record (munmap, mprotect, mremap, brk, split, merge) marks it dead while
 * it is still in the tree, then changes the page tables, then publishes the tree without it. A
 * writer that keeps it (fork's write-protect, madvise) makes its write sequence odd across its page
 * table changes instead. A speculative fault reads {@link #incarnation()}, {@link #writeSeq()} and the
 * fields, works, and re-checks all three and {@link #isDead()} under the page-table lock before it
 * installs anything.
 *
 * <h2>Fields</h2>
 * <pre>
 * Locks used to protect members:
 *   [I] written by the tree's writer (mmap lock held) before the record is published, never while it
 *       is live; overwritten by poison() after a grace period (a reader that still reads them is a
 *       use after free, caught by the incarnation check)
 *   [a] atomic, VarHandle, mode in the accessor's name; written only by the mmap-lock holder
 *   [A] as [I], except that {@link #prepareAnon} may set the area's anonymous identity once, from
 *       none, by CAS, under the mmap lock held for reading (Linux sets vma->anon_vma under the mmap
 *       read lock and the page_table_lock); plain readers see either value, and the two agree on
 *       every field but that one
 * </pre>
 * The area's start, end, rights and flags are copied into fields of their own so that a lookup's
 * range check reads this object only.
 *
 * <h2>The write sequence (Linux 6.4 {@code vm_lock_seq})</h2>
 * Written only by the mmap-lock holder. Read reliably under the page-table lock (the writer changes
 * page-table entries only while it is odd, each under that lock); read without it (acquire) only to
 * bail out early: a reader that sees it odd falls back, one that sees it even must check it again
 * under the lock.
 */
public final class Vma extends Pooled {
    /** What a poisoned record's start and end read as: no user address, page aligned. */
    public static final long POISON_ADDR = 0x0dea_d000_dead_0000L;
    /** What a poisoned record's area reads as. */
    public static final Area POISON_AREA = new Area(POISON_ADDR, POISON_ADDR + Area.PAGE_SIZE, Prot.NONE, 0,
            null, POISON_ADDR >>> Area.PAGE_SHIFT, null);

    private Area area;   // [A]
    private long start;  // [I]
    private long end;    // [I]
    private int prot;    // [I]
    private int flags;   // [I]
    /** 0 = live, 1 = dead; terminal for an incarnation. [a] */
    private int dead;
    /** Even: stable; odd: a writer is changing page-table entries under this record. [a] */
    private long writeSeq;

    private static final VarHandle DEAD;
    private static final VarHandle WRITE_SEQ;
    private static final VarHandle AREA;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            DEAD = l.findVarHandle(Vma.class, "dead", int.class);
            WRITE_SEQ = l.findVarHandle(Vma.class, "writeSeq", long.class);
            AREA = l.findVarHandle(Vma.class, "area", Area.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Made by a tree's pool only. */
    Vma() {
    }

    /**
     * => freshly allocated by the pool to the calling writer, not yet published. Plain stores: the
     * tree's root release store publishes them.
     */
    void init(Area a) {
        area = a;
        start = a.start();
        end = a.end();
        prot = a.prot();
        flags = a.flags();
        dead = 0; // plain: published with the other fields by the root's release store
        // The sequence is not reset: it keeps counting across incarnations, so a value is never
        // seen twice for one object. It is even here (endWrite() leaves it even).
        assert (writeSeqPlain() & 1) == 0 : "reused record with an odd write sequence";
    }

    // ----------------------------------------------------------------------------------------
    // Accessors of the [a] fields (the access mode is in the name)

    private int deadAcquire() {
        return (int) DEAD.getAcquire(this);
    }

    /** => the mmap lock: its holder is the only writer. */
    private int deadPlain() {
        return (int) DEAD.get(this);
    }

    private void setDeadVolatile(int v) {
        DEAD.setVolatile(this, v);
    }

    private long writeSeqAcquire() {
        return (long) WRITE_SEQ.getAcquire(this);
    }

    /** => the mmap lock: its holder is the only writer. */
    private long writeSeqPlain() {
        return (long) WRITE_SEQ.get(this);
    }

    private void setWriteSeqVolatile(long v) {
        WRITE_SEQ.setVolatile(this, v);
    }

    private void setWriteSeqRelease(long v) {
        WRITE_SEQ.setRelease(this, v);
    }

    // ----------------------------------------------------------------------------------------
    // [I] fields: plain reads, published by the tree root's release store

    public Area area() {
        return area;
    }

    public long start() {
        return start;
    }

    public long end() {
        return end;
    }

    public int prot() {
        return prot;
    }

    public int flags() {
        return flags;
    }

    public Object backing() {
        return area.backing();
    }

    public long pgoff() {
        return area.pgoff();
    }

    public AnonVma anon() {
        return area.anon();
    }

    /**
     * {@code __anon_vma_prepare}: gives the record the anonymous identity {@code candidate} unless it
     * has one already. => the mmap lock held (for reading is enough: two faults may race here, and
     * the CAS makes one of them win), the record live and in the tree.
     *
     * @return the identity the record has now ({@code candidate}, or the one another fault set first)
     */
    public AnonVma prepareAnon(AnonVma candidate) {
        for (;;) {
            final Area cur = (Area) AREA.getAcquire(this);
            if (cur.anon() != null) {
                return cur.anon();
            }
            if (AREA.compareAndSet(this, cur, cur.withAnon(candidate))) {
                return candidate;
            }
        }
    }

    public boolean contains(long addr) {
        return start <= addr && addr < end;
    }

    // ----------------------------------------------------------------------------------------
    // State: live → dead

    /** Whether a writer has marked this record dead (acquire). */
    public boolean isDead() {
        return deadAcquire() != 0;
    }

    /**
     * Marks the record dead. => the mmap lock is held for writing, the record is still in the tree
     * and live. Writers normally call {@link VmaTree.Batch#markDead()}, which does this for every
     * record the batch replaces (and is where the seeded bug {@link VmaBug#SKIP_MARK_DEAD} lives).
     */
    public void markDead() {
        assert deadPlain() == 0 : "markDead twice: " + this;
        setDeadVolatile(1);
        // smp_store_mb(): the writer's later loads of page-table entries during the zap (the
        // lockless loads of upper-level entries that find the tables, and the leaf entries read
        // before their get-and-clear) must not be performed before the dead mark is visible.
        // Otherwise a fault could validate "live" after the zap had already read its PTE as empty,
        // and install a PTE under a record that is about to leave the tree. A release store keeps
        // only earlier accesses before it, not later loads after it: StoreLoad needs the fence.
        VarHandle.fullFence();
    }

    // ----------------------------------------------------------------------------------------
    // Write sequence

    /** The write sequence (acquire): odd while a non-replacing writer changes PTEs under it. */
    public long writeSeq() {
        return writeSeqAcquire();
    }

    /**
     * => the mmap lock is held for writing; the sequence is even. Makes it odd. Writers normally call
     * {@link VmaTree#beginWrite(Vma)}, which also checks that the record is in the tree.
     */
    public void beginWrite() {
        final long s = writeSeqPlain();
        if ((s & 1) != 0) {
            throw new IllegalStateException("beginWrite on a record already being written: " + this);
        }
        setWriteSeqVolatile(s + 1);
        // As in markDead(): the page-table loads of the change that follows come after the odd
        // sequence is visible (StoreLoad).
        VarHandle.fullFence();
    }

    /** => the mmap lock is held for writing; the sequence is odd. Makes it even. */
    public void endWrite() {
        final long s = writeSeqPlain();
        if ((s & 1) == 0) {
            throw new IllegalStateException("endWrite on a record not being written: " + this);
        }
        // Release: every page-table change made while it was odd is before the even value.
        setWriteSeqRelease(s + 1);
    }

    // ----------------------------------------------------------------------------------------

    @Override
    protected void poison() {
        area = POISON_AREA;
        start = POISON_ADDR;
        end = POISON_ADDR;
        prot = -1;
        flags = -1;
        // A poisoned record also reads as dead: a late validator that skips the incarnation check
        // still fails safe.
        setDeadVolatile(1);
    }

    @Override
    protected String describe() {
        return "Vma[" + area + ", inc " + incarnation() + "]";
    }

    @Override
    public String toString() {
        return "Vma[" + area + (isDead() ? ", dead" : "") + ", seq " + writeSeq() + ", inc " + incarnation() + "]";
    }
}
