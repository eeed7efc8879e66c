package dev.specfault.fault.locked;

import dev.specfault.pmap.phys.FrameAllocator;

/**
 * UVM's {@code struct vm_amap}: an array of slots, each empty or pointing at an {@link Anon}, shared
 * by every {@link Aref} (entry reference) that covers it.
 *
 * <h2>References</h2>
 * {@link #refs} counts the arefs pointing here ({@code am_ref}), across spaces: fork shares an amap
 * between parent and child (both needs-copy); a split shares it between two pieces of one space.
 * {@link #ppref} counts, per slot, the arefs whose range covers it ({@code am_ppref}): when a slot's
 * count reaches zero nothing can reach its anon through this amap any more and the slot lets go of
 * it. Both change only under the amap lock held exclusively, by the writer of whichever space holds
 * the aref (the aref table itself is under that space's map lock): a new or cut aref's reference is
 * taken under that map lock; a removed aref's is dropped right after the writer releases it
 * ({@code uvm_unmap_detach}), so until then the counts may be higher than the table's arefs.
 *
 * <h2>The lock</h2>
 * {@link #lock} is shared by an amap and every amap {@code amap_copy} made from it, so that the
 * anons they share ({@code an_lock}) are under one lock, as in NetBSD and OpenBSD, where an amap
 * copy takes a hold on its source's {@code am_lock}. Parent and child of a fork therefore contend
 * on one lock for the memory they share; a fresh amap (first touch) gets a fresh lock.
 *
 * <h2>Size</h2>
 * Amaps are created a chunk at a time around the faulting address (UVM's {@code AMAP_CHUNK}), so an
 * amap has at most {@link #CHUNK_PAGES} slots and copying one is cheap.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [l] lock: read shared, written exclusively
 * </pre>
 */
final class Amap {
    /** Pages per amap chunk (UVM's AMAP_CHUNK is 16 pages). */
    static final int CHUNK_PAGES = 16;

    final RwLock lock; // [I]
    private final Anon[] slots; // [l]
    private final int[] ppref; // [l]
    private int refs; // [l]

    Amap(RwLock lock, int nslots) {
        assert nslots > 0 && nslots <= CHUNK_PAGES : nslots;
        this.lock = lock;
        this.slots = new Anon[nslots];
        this.ppref = new int[nslots];
    }

    int size() {
        return slots.length;
    }

    /** => lock held (any mode). {@code amap_lookup}. */
    Anon get(int slot) {
        return slots[slot];
    }

    /**
     * => lock held exclusively (see {@code LockedSpace} for the one seeded bug that breaks this).
     * {@code amap_add}: puts {@code anon} (with its reference) in the slot and returns the anon that
     * was there, whose reference the caller drops — null unless the slot was being replaced (COW).
     */
    Anon set(int slot, Anon anon) {
        final Anon old = slots[slot];
        slots[slot] = anon;
        return old;
    }

    /** => lock held (any mode). */
    int refs() {
        return refs;
    }

    /** => lock held (any mode). */
    int ppref(int slot) {
        return ppref[slot];
    }

    /** => lock held exclusively. A new aref covers [from, to): {@code amap_ref}. */
    void addRef(int from, int to) {
        assert lock.status() == RwLock.WRITE;
        refs++;
        for (int i = from; i < to; i++) {
            ppref[i]++;
        }
    }

    /**
     * => lock held exclusively. An aref covering [from, to) goes away ({@code amap_unref}): slots no
     * aref covers any more drop their anons; an anon no slot holds frees its page.
     */
    void removeRef(int from, int to, FrameAllocator frames) {
        assert lock.status() == RwLock.WRITE;
        assert refs > 0;
        refs--;
        for (int i = from; i < to; i++) {
            assert ppref[i] > 0 : "ppref underflow at slot " + i;
            if (--ppref[i] == 0 && slots[i] != null) {
                dropAnon(slots[i], frames);
                slots[i] = null;
            }
        }
    }

    /** => the anon's lock held exclusively. Drops one reference ({@code uvm_anfree} at zero). */
    static void dropAnon(Anon a, FrameAllocator frames) {
        assert a.ref > 0 : a;
        if (--a.ref == 0) {
            if (a.frame >= 0) {
                frames.put(a.frame);
            }
            a.frame = -1;
            a.swap = null;
        }
    }

    @Override
    public String toString() {
        return "amap@" + Integer.toHexString(System.identityHashCode(this)) + "[" + slots.length + " slots]";
    }
}
