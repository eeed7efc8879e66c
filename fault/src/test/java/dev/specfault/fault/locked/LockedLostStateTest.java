package dev.specfault.fault.locked;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.FaultHooks;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.List;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * State the locked design kept only in what a concurrent or later step takes away (found in a review
 * of its fork, copy-on-write and exit paths against UVM, 2026-11-30): a page written after MADV_FREE,
 * whose only record was the parent's dirty entry, across fork; a page-in whose file went with the
 * area's last mapping. The MADV_FREE tests run every design (Linux copies the dirty bit into the
 * child's entry at fork).
 */
class LockedLostStateTest {
    static final int RW = PROT_READ | PROT_WRITE;
    static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;
    static final long A = 0x10000000L;

    private Machine machine;
    private Cpus cpus;

    static Stream<Arguments> designs() {
        return Stream.of(Design.values())
                .flatMap(d -> Stream.of(Arch.values()).map(a -> Arguments.of(d, a)));
    }

    private AddressSpace space(Design d, Arch arch) {
        return space(d, arch, FaultHooks.NONE);
    }

    private AddressSpace space(Design d, Arch arch, FaultHooks hooks) {
        if (machine == null) {
            machine = Machine.builder(arch).cpus(4).frameLimit(4096).prefetchPercent(0).build();
            cpus = new Cpus(machine);
        }
        return Spaces.create(new SpaceOptions(d, machine).name("p")
                .config(SpaceConfig.defaults(arch).withInitialStack(false)).hooks(hooks).driver(GracePeriodDriver.inline()));
    }

    @AfterEach
    void tearDown() {
        if (cpus != null) {
            cpus.close();
        }
    }

    /** What the parent does after the fork that takes its dirty entry away. */
    enum After { COW_BREAK, EXIT, READ_ONLY_AREA_THEN_EXIT }

    static Stream<Arguments> designsAndAfters() {
        return designs().flatMap(a -> Stream.of(After.values()).map(x -> Arguments.of(a.get()[0], a.get()[1], x)));
    }

    /**
     * MADV_FREE, then a store (the parent's entry is dirty: the page is no longer free to discard),
     * then fork. Then the parent's entry goes: its copy-on-write break replaces it, or its exit
     * zaps it (also when the area was made read-only before the fork, which fork then leaves
     * alone). The child faults the page in afresh (clean) and, once it is the anon's only holder,
     * reclaim discarded the page: the child read 0, not the 42 the parent held at the fork (P4).
     * UVM keeps a page's modified state in the vm_page (pmap_remove/pmap_protect sync the PTE's M
     * bit into pg_flags); Linux copies the dirty bit into the child's PTE at fork.
     */
    @ParameterizedTest
    @MethodSource("designsAndAfters")
    void aStoreAfterMadvFreeSurvivesForkAndTheParentsEntryGoing(Design d, Arch arch, After after) {
        final AddressSpace p = space(d, arch);
        assertEquals(A, p.mmap(A, PAGE_SIZE, RW, ANON | MAP_FIXED));
        assertEquals(AccessResult.OK, cpus.storeNow(0, p, A, 1));
        assertEquals(0, p.madvise(A, PAGE_SIZE, Mman.MADV_FREE));
        assertEquals(AccessResult.OK, cpus.storeNow(0, p, A, 42)); // dirties the entry: the page is kept
        if (after == After.READ_ONLY_AREA_THEN_EXIT) {
            assertEquals(0, p.mprotect(A, PAGE_SIZE, PROT_READ));
        }
        final AddressSpace c = p.fork();
        assertNotNull(c);
        if (after == After.COW_BREAK) {
            assertEquals(AccessResult.OK, cpus.storeNow(0, p, A, 7));
        } else {
            cpus.run(0, () -> {
                p.exit();
                return null;
            });
        }
        assertEquals(42L, cpus.loadNow(1, c, A));
        cpus.run(1, () -> c.reclaimLazyFree());
        assertEquals(42L, cpus.loadNow(1, c, A), "the child lost the value it had at fork");
        if (after == After.COW_BREAK) {
            assertEquals(7L, cpus.loadNow(0, p, A));
        }
        assertEquals(List.of(), c.checkQuiet());
    }

    /**
     * A fault pages a file page in with the map unlocked (uvm_fault_lower_io); meanwhile the area,
     * whose mapping held the file's last reference, is unmapped and the range mapped again as
     * anonymous memory. The page-in finds the file released and the fault returns SIGBUS at once,
     * without uvmfault_relock's check of the map version: the store to a mapped, writable page fails
     * (P2: SIGBUS only beyond a file's end). A restart would find the new area and succeed.
     */
    @ParameterizedTest
    @MethodSource("lockedDesigns")
    void aFileReleasedDuringPageInIsAMapChangeNotASigbus(Design d, Arch arch) {
        final Cpus.Pause p = new Cpus.Pause();
        final Thread[] cpu1 = {null};
        final AddressSpace s = space(d, arch, (pt, sp, va) -> {
            if (pt == FaultHooks.Point.LOCKED_LOWER_IO && Thread.currentThread() == cpu1[0]) {
                p.here();
            }
        });
        cpu1[0] = cpus.thread(1);
        final FileObject f = new FileObject("f", 4 * PAGE_SIZE, machine.frames());
        assertEquals(A, s.mmap(A, 4 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0));
        f.close(); // the mapping holds the file's only reference now
        final Future<Integer> store = cpus.store(1, s, A, 5);
        p.awaitReached(); // map and amap unlocked, the object lock held
        assertEquals(0, s.munmap(A, 4 * PAGE_SIZE));
        assertEquals(A, s.mmap(A, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED));
        p.release();
        assertEquals(AccessResult.OK, (int) Cpus.get(store), "the store to a mapped anonymous page failed");
        assertEquals(5L, cpus.loadNow(0, s, A));
        assertEquals(List.of(), s.checkQuiet());
    }

    static Stream<Arguments> lockedDesigns() {
        return Stream.of(Design.LOCKED, Design.KERNEL_LOCK)
                .flatMap(d -> Stream.of(Arch.values()).map(a -> Arguments.of(d, a)));
    }
}
