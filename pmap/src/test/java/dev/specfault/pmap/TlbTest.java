package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The TLB as a cache: one entry per (tag, page), whatever order inserts and invalidations come in. */
class TlbTest {
    private static long t(long frame) {
        return WalkResult.translation(frame, WalkResult.U, 0);
    }

    /**
     * A 4-entry TLB is one set of 4 ways. Page K sits in way 1 when way 0 is freed by an unrelated
     * invalidation; K is then filled again (a speculative fill does not look up first). Before the
     * fix the new translation went into the free way 0 and the old one stayed in way 1, shadowed;
     * when round-robin replacement evicted way 0, the old translation came back.
     */
    @Test
    void refillingACachedPageReplacesItsEntryAndNeverResurrectsTheOldOne() {
        final Tlb tlb = new Tlb(4);
        final long a = 0x100;
        final long k = 0x200;
        tlb.insert(1, a, t(10));       // way 0
        tlb.insert(1, k, t(20));       // way 1: the old translation of K
        tlb.invalidatePage(1, a);      // way 0 free
        tlb.insert(1, k, t(21));       // K's new translation
        final int[] entries = {0};
        tlb.forEach((tag, vpn, tr) -> entries[0] += vpn == k ? 1 : 0);
        assertEquals(1, entries[0], "one entry for K");
        for (long v = 0x300; v < 0x310; v++) {
            tlb.insert(1, v, t(v));    // round-robin replacement through every way
            final long hit = tlb.lookup(1, k);
            assertEquals(true, hit == 0 || hit == t(21), "K never translates to its old frame: " + WalkResult.toString(hit));
        }
    }
}
