package dev.specfault.fault.locked;

/**
 * UVM's {@code struct vm_anon}: one page of anonymous memory, owned by the amap slots that point at
 * it ({@link #ref}, {@code an_ref}). Two amaps share an anon after {@code amap_copy} (fork's
 * copy-on-write); a write through either copies it first (promotion) while {@code ref > 1}.
 *
 * <h2>Residency</h2>
 * The page is {@link #frame}, which holds one frame reference of the anon's own (each PTE that maps
 * the frame holds another). specfault has no pager, so an anon leaves memory only through the test
 * hook {@link LockedSpace#pageOut}: its contents go to {@link #swap} and {@code frame} becomes -1.
 * A fault that finds it so needs the amap lock exclusively to page it back in (ENOLCK under the
 * shared lock, as in the seed's {@code uvmfault_anonget}).
 *
 * <pre>
 * Locks used to protect members ({@code an_lock == am_lock}):
 *   [l] the lock of the amaps that hold it (one lock per amap lineage: see {@link Amap}),
 *       read under it shared, written under it exclusively
 * </pre>
 */
final class Anon {
    /** Slots pointing here. [l] */
    int ref;
    /** The page's frame, or -1 when not resident. [l] */
    long frame;
    /** The page's contents while not resident, else null. [l] */
    long[] swap;

    Anon(long frame) {
        this.ref = 1;
        this.frame = frame;
    }

    boolean resident() {
        return frame >= 0;
    }

    @Override
    public String toString() {
        return "anon[ref " + ref + (frame >= 0 ? ", frame 0x" + Long.toHexString(frame) : ", swapped") + "]";
    }
}
