package dev.specfault.fault.locked;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.PmapHooks;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * exit = uvm_purge in the teardown order of DESIGN.md (the uvm_purge thread): stop the CPUs, detach
 * every CPU still pointing at the space, flush its PCID/ASID, then free. A lazy CPU (a kernel
 * thread that last ran the exiting space) speculatively refills a TLB entry at the pause between
 * two teardown steps (a pmap hook); then another space on that CPU maps the same address.
 */
class LockedPurgeTest {
    static final long VA = 0x10000000L;
    static final long SECRET = 0x5ec7e7L;

    private static LockedSpace space(Machine m, String name, Design d, FaultBug... bugs) {
        final Set<FaultBug> set = EnumSet.noneOf(FaultBug.class);
        set.addAll(List.of(bugs));
        return (LockedSpace) Spaces.create(new SpaceOptions(d, m).name(name).bugs(set)
                .config(SpaceConfig.defaults(m.arch()).withInitialStack(false)).driver(GracePeriodDriver.inline()));
    }

    /** @return whether T's first access used a translation T never created (it did not fault) */
    private static boolean exitWithSpeculatingLazyCpu(Arch arch, Design d, FaultBug... bugs) {
        final AtomicReference<Runnable> atHook = new AtomicReference<>(() -> { });
        final PmapHooks hooks = (point, pmap, va) -> {
            if (point.equals(PmapHooks.TEARDOWN_BETWEEN_FLUSH_AND_DETACH)
                    || point.equals(PmapHooks.TEARDOWN_BETWEEN_DETACH_AND_FLUSH)) {
                atHook.get().run();
            }
        };
        final Machine m = Machine.builder(arch).cpus(2).frameLimit(4096).prefetchPercent(0).hooks(hooks).build();
        try (Cpus cpus = new Cpus(m)) {
            final LockedSpace s = space(m, "S", d, bugs);
            assertEquals(VA, s.mmap(VA, 4 * Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED));
            assertEquals(AccessResult.OK, cpus.storeNow(0, s, VA, SECRET));
            cpus.run(0, () -> {
                m.cpu(0).tlb().invalidateAll(); // the entry can come back only by speculation
                m.cpu(0).enterLazy();
                return null;
            });
            final boolean[] filled = new boolean[1];
            atHook.set(() -> filled[0] = cpus.run(0, () -> m.cpu(0).speculate(VA)));
            cpus.run(1, () -> {
                s.exit();
                return null;
            });
            atHook.set(() -> { });
            assertTrue(s.isExited());
            final List<String> p0 = m.checkTlbs();
            final LockedSpace t = space(m, "T", d);
            assertEquals(VA, t.mmap(VA, 4 * Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED));
            final boolean stale = cpus.run(0, () -> {
                final long before = m.cpu(0).stats().faults();
                final int r = t.load(m.cpu(0), VA);
                return r == AccessResult.OK && m.cpu(0).stats().faults() == before;
            });
            assertEquals(filled[0], !p0.isEmpty(), "a fill survived the purge exactly when P0 sees it: " + p0);
            assertEquals(filled[0], stale, "T used S's entry exactly when one survived");
            return stale;
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void purgeDetachesBeforeItFlushes(Arch arch) {
        assertFalse(exitWithSpeculatingLazyCpu(arch, Design.LOCKED), "T faults its own page in");
        assertFalse(exitWithSpeculatingLazyCpu(arch, Design.KERNEL_LOCK), "T faults its own page in");
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void seededPurgeFlushBeforeDetachIsCaught(Arch arch) {
        assertTrue(exitWithSpeculatingLazyCpu(arch, Design.LOCKED, FaultBug.PURGE_FLUSH_BEFORE_DETACH),
                "T's load hit the entry S's lazy CPU refilled after the flush");
    }
}
