package dev.specfault.pmap;

import dev.specfault.pmap.phys.PhysicalMemory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The metadata of one page-table page (Linux's {@code struct ptdesc}): its page-table lock, where
 * it is linked from, and its lifecycle. The entries themselves live in the frame.
 *
 * <h2>Lifecycle</h2>
 * <pre>
 *   FREE ──alloc──▶ LIVE (linked from parent entry) ──unlink under PTL──▶ DETACHED
 *     ▲                                                                      │ flush (hardware walks
 *     └───── incarnation + 1 on the next alloc ◀── FREE ◀── SRCU grace ◀─────┘ done), call_srcu
 * </pre>
 * One object per frame ever used as a table, kept in the machine's table memmap; each allocation of
 * the frame as a table is a new incarnation. A software walker (a speculative fault under an SRCU
 * read section) records the incarnation of every table it walked and validates it later: a changed
 * incarnation or a FREE state is a use-after-free of a table page (P3), and the seeded bug
 * {@code table-free-no-grace-period} is caught that way.
 *
 * <h2>The PTL</h2>
 * A spinlock, as Linux's split page-table locks are: a CAS on {@code ptl}; a waiter spins, then
 * yields. After taking it, a caller checks {@link #isLinked} — that the parent entry still points
 * here — before trusting that the table belongs to the address space (it may have been unlinked by
 * a munmap between the caller's walk and its lock).
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable (the frame)
 *   [a] atomic: ptl (CAS), state and incarnation (volatile, written by the allocating or freeing
 *       thread; validated by walkers)
 *   [t] written before the table is linked (release by the parent entry's CAS), then immutable
 *       until the next incarnation
 *   [p] the PTL
 * </pre>
 */
public final class TablePage {
    public static final int FREE = 0;
    public static final int LIVE = 1;
    public static final int DETACHED = 2;

    private static final int SPINS = 100;

    private final long frame;          // [I]
    private int ptl;                   // [a] 0 = free, 1 = held
    private Thread ptlOwner;           // [p] for assertions only
    private volatile int state;        // [a]
    private volatile long incarnation; // [a]
    private int level;                 // [t]
    private long parentFrame;          // [t] 0 for a root
    private int parentIndex;           // [t]

    private static final VarHandle PTL;

    static {
        try {
            PTL = MethodHandles.lookup().findVarHandle(TablePage.class, "ptl", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    TablePage(long frame) {
        this.frame = frame;
    }

    public long frame() {
        return frame;
    }

    /** 1 for a leaf table ... Arch.levels() for a root. */
    public int level() {
        return level;
    }

    public long parentFrame() {
        return parentFrame;
    }

    public int parentIndex() {
        return parentIndex;
    }

    public int state() {
        return state;
    }

    public long incarnation() {
        return incarnation;
    }

    /** => the frame was just allocated as a table and is not yet linked. A new incarnation. */
    void init(int lvl, long parent, int index) {
        this.level = lvl;
        this.parentFrame = parent;
        this.parentIndex = index;
        this.incarnation = incarnation + 1;
        this.state = LIVE;
    }

    /** => unlinked from its parent under its PTL (or never linked). */
    void setDetached() {
        state = DETACHED;
    }

    /** => after the flush and the grace period: the frame goes back to the allocator. */
    void setFree() {
        state = FREE;
    }

    // ------------------------------------------------------------------------------------------
    // The page-table lock

    private boolean casPtl(int expect, int update) {
        return PTL.compareAndSet(this, expect, update);
    }

    private int ptlOpaque() {
        return (int) PTL.getOpaque(this);
    }

    private void setPtlRelease(int v) {
        PTL.setRelease(this, v);
    }

    /**
     * Takes the PTL (acquire). Spins, then yields, while another thread holds it.
     *
     * @return true if it had to wait (a "PTL wait", counted by callers)
     */
    public boolean lock() {
        if (casPtl(0, 1)) {
            ptlOwner = Thread.currentThread();
            return false;
        }
        int spins = 0;
        for (;;) {
            if (ptlOpaque() == 0 && casPtl(0, 1)) {
                ptlOwner = Thread.currentThread();
                return true;
            }
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** Gives the PTL back (release). => held by the calling thread. */
    public void unlock() {
        assert ptlOwner == Thread.currentThread() : "PTL of table " + frame + " not held by " + Thread.currentThread();
        ptlOwner = null;
        setPtlRelease(0);
    }

    /** Whether the calling thread holds the PTL (for assertions). */
    public boolean isLockedByCurrentThread() {
        return ptlOpaque() != 0 && ptlOwner == Thread.currentThread();
    }

    /**
     * Whether the table is still linked from its parent entry: LIVE, and the parent entry (read
     * once, opaque) is a present table entry pointing at this frame. A root is linked while LIVE.
     * Meaningful under the PTL: unlinking takes it.
     */
    public boolean isLinked(PhysicalMemory mem, PteFormat fmt) {
        if (state != LIVE) {
            return false;
        }
        if (parentFrame == 0) {
            return true;
        }
        final long e = mem.getOpaque(parentFrame, parentIndex);
        return fmt.isTable(e, level + 1) && fmt.frame(e) == frame;
    }

    @Override
    public String toString() {
        return "TablePage[frame 0x" + Long.toHexString(frame) + ", level " + level + ", "
                + (state == LIVE ? "live" : state == DETACHED ? "detached" : "free") + ", inc " + incarnation + "]";
    }
}
