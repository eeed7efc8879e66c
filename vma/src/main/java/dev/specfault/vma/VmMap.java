package dev.specfault.vma;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The locked design's address-space map (OpenBSD UVM's {@code struct vm_map}): an ordered map of
 * {@link Area} entries under one read/write lock, with a version number (UVM's {@code timestamp})
 * bumped by every change.
 *
 * <h2>Idea</h2>
 * Faults take the lock for reading, writers (mmap, munmap, mprotect, stack growth, amap_copy on a
 * needs-copy entry, fork, exit) for writing. A fault that must drop the lock (to sleep, or to take
 * it exclusively) remembers {@link #timestamp()} and compares it after relocking
 * ({@code uvmfault_relock}): unchanged means nothing it looked up has moved. Entries are the same
 * immutable {@link Area} values the speculative design uses, changed by the same
 * {@link LayoutPlanner} plans, so both designs express one set of address-space semantics.
 *
 * <h2>Fairness</h2>
 * The lock is a {@link ReentrantReadWriteLock}, non-fair by default: a reader does not queue behind
 * other readers, but a new reader does wait when the first queued thread is a writer (the JDK's
 * {@code apparentlyFirstQueuedIsExclusive} heuristic), so a steady stream of faults cannot starve an
 * mmap. That is close to OpenBSD's {@code rwlock}, where a waiting writer ({@code RWLOCK_WRWANT})
 * stops new readers. {@code fair = true} gives FIFO order at some throughput cost. The lock is
 * reentrant: UVM's is not, and specfault's locked design must not rely on reentrancy (nor on
 * upgrading, which this lock does not allow: drop, relock exclusively, compare the timestamp).
 *
 * <h2>Linearization points</h2>
 * A change: its {@link #apply} under the write lock (the version is bumped in the same critical
 * section). A lookup: anywhere inside the read (or write) critical section that contains it.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after construction
 *   [m] this map's lock: read for lookups, write for changes
 *   [a] atomic: written under the write lock (release), readable without it (acquire)
 *   [c] the thread bound to the CPU of the slot's index
 * </pre>
 */
public final class VmMap implements AreaIndex {
    private final ReentrantReadWriteLock lock;   // [I]
    private final AreaMap entries = new AreaMap(); // [m]
    /** UVM's timestamp: bumped by every change. [a] */
    private long timestamp;
    /**
     * Each CPU's last fault lookup and the timestamp it was made at (a per-CPU form of NetBSD's
     * {@code map->hint}): a fault in the entry it found last finds it again without
     * TreeMap.floorEntry, which allocates an entry and boxes the key on every call.
     */
    private final Hint[] hints; // [c]

    private record Hint(Area area, long timestamp) {
    }

    private static final VarHandle TIMESTAMP;

    static {
        try {
            TIMESTAMP = MethodHandles.lookup().findVarHandle(VmMap.class, "timestamp", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** An empty map with a non-fair lock. */
    public VmMap() {
        this(false);
    }

    /** An empty map; {@code fair}: a FIFO lock (see the class comment). */
    public VmMap(boolean fair) {
        this(fair, 0);
    }

    /**
     * An empty map; {@code fair}: a FIFO lock; {@code cpus}: CPUs whose faults look up through a
     * hint of their own ({@link #find(long, int)}).
     */
    public VmMap(boolean fair, int cpus) {
        this.lock = new ReentrantReadWriteLock(fair);
        this.hints = new Hint[cpus];
    }

    // ----------------------------------------------------------------------------------------
    // The lock (UVM vm_map_lock_read / vm_map_unlock_read / vm_map_lock / vm_map_unlock)

    public void readLock() {
        lock.readLock().lock();
    }

    /** The read lock if it is free of writers now (for lock-wait statistics: try, then count and block). */
    public boolean tryReadLock() {
        return lock.readLock().tryLock();
    }

    public void readUnlock() {
        lock.readLock().unlock();
    }

    public void writeLock() {
        lock.writeLock().lock();
    }

    /** UVM {@code vm_map_lock_try}: the write lock if free now. */
    public boolean tryWriteLock() {
        return lock.writeLock().tryLock();
    }

    public void writeUnlock() {
        lock.writeLock().unlock();
    }

    public boolean isWriteLockedByCurrentThread() {
        return lock.isWriteLockedByCurrentThread();
    }

    /** Whether the calling thread holds the lock for reading or writing. */
    public boolean isLockedByCurrentThread() {
        return lock.getReadHoldCount() > 0 || lock.isWriteLockedByCurrentThread();
    }

    /** How many threads wait for the lock (for lock-wait statistics). */
    public int queueLength() {
        return lock.getQueueLength();
    }

    /**
     * UVM's timestamp: changes whenever the map changes. Readable without the lock (acquire): a
     * fault compares the value it saw before dropping the lock with the value after relocking.
     */
    public long timestamp() {
        return timestampAcquire();
    }

    private long timestampAcquire() {
        return (long) TIMESTAMP.getAcquire(this);
    }

    /** => the write lock: its holder is the only writer. */
    private long timestampPlain() {
        return (long) TIMESTAMP.get(this);
    }

    private void setTimestampRelease(long v) {
        TIMESTAMP.setRelease(this, v);
    }

    // ----------------------------------------------------------------------------------------
    // Lookups: => the lock is held (read or write)

    @Override
    public Area find(long addr) {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        return entries.find(addr);
    }

    /**
     * {@link #find(long)} for a fault on CPU {@code cpu} (-1: none), first in the entry that CPU
     * found last if the map has not changed since.
     */
    public Area find(long addr, int cpu) {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        if (cpu < 0 || cpu >= hints.length) {
            return entries.find(addr);
        }
        final long now = timestampAcquire();
        final Hint h = hints[cpu];
        if (h != null && h.timestamp == now && h.area.start() <= addr && addr < h.area.end()) {
            return h.area;
        }
        final Area a = entries.find(addr);
        if (a != null && a.start() <= addr) {
            hints[cpu] = new Hint(a, now);
        }
        return a;
    }

    @Override
    public Area lookup(long addr) {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        return entries.lookup(addr);
    }

    @Override
    public Area prev(Area a) {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        return entries.prev(a);
    }

    @Override
    public Area next(Area a) {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        return entries.next(a);
    }

    @Override
    public Area first() {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        return entries.first();
    }

    @Override
    public Area last() {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        return entries.last();
    }

    @Override
    public void forEachOverlapping(long start, long end, Consumer<Area> action) {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        entries.forEachOverlapping(start, end, action);
    }

    @Override
    public int count() {
        assert isLockedByCurrentThread() : "VmMap lookup without the map lock";
        return entries.count();
    }

    // ----------------------------------------------------------------------------------------
    // Changes: => the write lock is held

    /**
     * Applies {@code plan} and bumps the timestamp (even for an empty plan: callers that apply
     * nothing need not call this).
     * => the write lock is held by the calling thread.
     *
     * @throws IllegalArgumentException if a removed area is not in the map (a plan made from another
     *                                  state); the map and its timestamp are then unchanged
     */
    public void apply(LayoutPlan plan) {
        if (!isWriteLockedByCurrentThread()) {
            throw new IllegalStateException("VmMap.apply without the write lock");
        }
        entries.apply(plan);
        bumpTimestamp();
    }

    /** => the write lock is held. Marks a change made outside {@link #apply} (e.g. to an amap). */
    public void bumpTimestamp() {
        assert isWriteLockedByCurrentThread() : "VmMap timestamp bump without the write lock";
        // Release: a thread that reads the new value (acquire) after relocking also sees the change
        // (it relocks anyway, which orders it; the release makes the lock-free read meaningful too).
        setTimestampRelease(timestampPlain() + 1);
    }

    @Override
    public String toString() {
        return "VmMap[" + entries.count() + " entries, timestamp " + timestamp() + "]";
    }
}
