package dev.specfault.fault.locked;

import dev.specfault.vma.Area;

/**
 * UVM's {@code struct vm_aref} for a range of one space: the pages of [{@link #start}, {@link #end})
 * are the amap's slots from {@link #slotOff} on, one per page; {@link #needsCopy} is
 * {@code UVM_ET_NEEDSCOPY}: the amap is shared copy-on-write (after fork) and must be copied before
 * this range's first write (or first zero-fill).
 *
 * <p>Immutable: a change replaces the record in the space's {@link ArefMap}, under its map lock held
 * exclusively.
 */
record Aref(long start, long end, Amap amap, int slotOff, boolean needsCopy) {
    Aref {
        assert start < end && ((start | end) & Area.PAGE_MASK) == 0;
        assert slotOff >= 0 && slotOff + (int) ((end - start) >>> Area.PAGE_SHIFT) <= amap.size();
    }

    /** Pages covered. */
    int pages() {
        return (int) ((end - start) >>> Area.PAGE_SHIFT);
    }

    /** The amap slot of the page of {@code va}. */
    int slot(long va) {
        assert start <= va && va < end;
        return slotOff + (int) ((va - start) >>> Area.PAGE_SHIFT);
    }

    /** The part [s, e) of this range, same amap and state. */
    Aref sub(long s, long e) {
        return new Aref(s, e, amap, slot(s), needsCopy);
    }

    /** This range moved by {@code delta} bytes (mremap): same slots. */
    Aref shifted(long delta) {
        return new Aref(start + delta, end + delta, amap, slotOff, needsCopy);
    }

    Aref withNeedsCopy(boolean nc) {
        return new Aref(start, end, amap, slotOff, nc);
    }

    @Override
    public String toString() {
        return "aref[" + Long.toHexString(start) + "-" + Long.toHexString(end) + " " + amap + "+" + slotOff
                + (needsCopy ? " needs-copy" : "") + "]";
    }
}
