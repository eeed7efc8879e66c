package dev.specfault.vma;

import static dev.specfault.vma.LayoutPlannerTest.anon;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * destroy() (until 2026-11-30, found in review) retires the root node while it is still the published root. A reader
 * that enters its read section after the retire (its grace period does not wait for it) walks a
 * poisoned node: find/forEachOverlapping throw UseAfterFreeException, count() silently reads -1.
 * (SpeculativeSpace.areas() after exit() takes exactly this path.)
 */
class VmaTreeDestroyTest {
    @Test
    void aReaderAfterDestroyDoesNotReachAPoisonedRoot() {
        final VmaTree t = VmaTreeTest.tree();
        VmaTreeTest.apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, VmaTreeTest.RW)));
        VmaTreeTest.apply(t, LayoutPlanner.unmap(t.asAreaIndex(), 0, LayoutPlannerTest.p(1000)));
        t.destroy();
        t.domain().barrier();
        final int token = t.domain().readLock(); // a reader that starts after destroy's call_srcu
        try {
            assertEquals(0, t.count(), "count() of the destroyed (empty) tree");
            assertDoesNotThrow(() -> t.overlapping(0, Long.MAX_VALUE), "walk of the destroyed tree");
        } finally {
            t.domain().readUnlock(token);
        }
        assertEquals(0, t.useAfterFreeLog().count(), t.useAfterFreeLog().reports()::toString);
    }
}
