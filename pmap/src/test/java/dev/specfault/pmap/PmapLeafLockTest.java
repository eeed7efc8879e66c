package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The precondition of every leaf change ("=> PTL or pmap lock held") is asserted at run time: a
 * change without either lock fails under -ea, with either one it goes through.
 */
class PmapLeafLockTest {
    static final long VA = 0x7f00_0000_0000L;

    @ParameterizedTest
    @EnumSource(Arch.class)
    void leafChangesNeedThePtlOrThePmapLock(Arch arch) {
        final Machine m = Machine.builder(arch).cpus(1).frameLimit(64).build();
        final Pmap p = m.newPmap("S", SrcuDomain.builder("S").driver(GracePeriodDriver.manual()).build());
        final long table = p.leafTableAlloc(VA, null);
        final int idx = Arch.index(VA, 1);
        final long frame = m.frames().alloc(null, FrameAllocator.DATA, true);
        final long pte = p.format().leaf(frame, Prot.READ | Prot.WRITE, Prot.YOUNG);
        final TablePage tp = p.tablePage(table);

        assertThrows(AssertionError.class, () -> p.install(table, idx, pte));
        tp.lock();
        try {
            p.install(table, idx, pte);
        } finally {
            tp.unlock();
        }
        assertThrows(AssertionError.class, () -> p.rewrite(table, idx, VA, (va, old) -> p.format().mkdirty(old)));
        assertThrows(AssertionError.class, () -> p.pteCas(table, idx, pte, 0));
        assertThrows(AssertionError.class, () -> p.clear(table, idx, VA));
        assertEquals(pte, p.pte(table, idx), "nothing changed without a lock");
        p.pmapLock().lock();
        try {
            p.rewrite(table, idx, VA, (va, old) -> p.format().mkdirty(old));
            assertEquals(p.format().mkdirty(pte), p.clear(table, idx, VA));
        } finally {
            p.pmapLock().unlock();
        }
        assertEquals(0, m.frames().mapcount(frame));
    }
}
