package dev.specfault.fault.speculative;

import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.FaultHooks;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.fault.SpaceStats;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The known kernel race shapes, each as a deterministic scenario on the correct speculative
 * design: a hook pauses a fault between two steps and runs the racing writer there. Each asserts
 * the outcome a sequential execution allows, that the invariants hold, and which validation step
 * caught the race (its counter).
 */
class SpeculativeRaceScenariosTest extends ScenarioBase {

    /** munmap between lookup and PTL: the fault retries and reports SIGSEGV. */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void munmapBetweenLookupAndPtl(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, 2 * PAGE_SIZE, RW, ANON);
        space.mmap(P + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ, ANON);
        store(0, P + PAGE_SIZE, 1);
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PTL, () -> space.munmap(P, 2 * PAGE_SIZE));
        assertEquals(AccessResult.SIGSEGV, store(0, P, 2));
        assertTrue(space.stats().retries(SpaceStats.Retry.DEAD) > 0);
        assertEquals(List.of(), space.checkQuiet());
    }

    /** mprotect(PROT_READ) between lookup and PTL: the write fault retries and gets SIGSEGV. */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void mprotectBetweenLookupAndPtl(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, 2 * PAGE_SIZE, RW, ANON);
        store(0, P + PAGE_SIZE, 1);
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PTL, () -> space.mprotect(P, 2 * PAGE_SIZE, PROT_READ));
        assertEquals(AccessResult.SIGSEGV, store(0, P, 2));
        assertTrue(space.stats().retries(SpaceStats.Retry.DEAD) > 0);
        assertEquals(0, load(1, P));
        assertEquals(1, load(1, P + PAGE_SIZE));
        assertEquals(List.of(), space.checkQuiet());
    }

    /** MAP_FIXED replaces the range under a fault through the old record: it lands in the new mapping. */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void mapFixedReplacesTheRangeUnderAFault(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, 2 * PAGE_SIZE, RW, ANON);
        store(0, P + PAGE_SIZE, 1);
        // A different mapping (rwx): a new record, and the old one dead.
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PTL, () -> space.mmap(P, 2 * PAGE_SIZE, RW | Mman.PROT_EXEC, ANON));
        assertEquals(AccessResult.OK, store(0, P, 2));
        assertEquals(2, load(1, P));
        assertEquals(0, load(1, P + PAGE_SIZE)); // the new mapping's page
        assertTrue(space.stats().retries(SpaceStats.Retry.DEAD) > 0, space.stats()::toString);
        assertEquals(List.of(), space.checkQuiet());
    }

    /** mremap moves the range under a fault: SIGSEGV at the old address, the data at the new one. */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void mremapMovesTheRangeUnderAFault(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, 2 * PAGE_SIZE, RW, ANON);
        store(0, P + PAGE_SIZE, 5);
        final long q = P + 64 * PAGE_SIZE;
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PTL, () -> assertEquals(q, space.mremap(P, 2 * PAGE_SIZE,
                2 * PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, q)));
        assertEquals(AccessResult.SIGSEGV, store(0, P, 2));
        assertEquals(5, load(1, q + PAGE_SIZE));
        assertEquals(0, load(1, q));
        assertEquals(List.of(), space.checkQuiet());
    }

    /**
     * mremap to a FIXED target that is mapped publishes its new layout in one store, as every writer
     * does: a store to the target just after that store finds the moved record still being filled
     * and waits for the mmap lock. (It used to unmap the target, publish, then move and publish
     * again: a store in between found no area and got SIGSEGV for an address that the mremap maps
     * both before and after. The linearizability harness found it.)
     */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void aFaultBetweenMremapsTwoPublicationsWaitsInsteadOfSignalling(Arch arch) {
        build(arch, Set.of(), Set.of());
        final long q = P + 64 * PAGE_SIZE;
        space.mmap(P, PAGE_SIZE, RW, ANON);
        space.mmap(q, PAGE_SIZE, RW, ANON);
        store(0, P, 5);
        store(0, q, 6);
        final java.util.concurrent.atomic.AtomicReference<Future<Integer>> racing = new java.util.concurrent.atomic.AtomicReference<>();
        hook.arm(FaultHooks.Point.WRITER_AFTER_PUBLISH, () -> racing.set(raceStore(0, q, 7)));
        assertEquals(q, on(1, () -> space.mremap(P, PAGE_SIZE, PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, q)));
        assertEquals(AccessResult.OK, get(racing.get()));
        assertEquals(7, load(1, q));
        assertEquals(SEGV, load(1, P));
        assertEquals(List.of(), space.checkQuiet());
    }

    /**
     * MREMAP_DONTUNMAP keeps the old area (its record stays in the tree) but takes its pages. A CPU
     * that reads the old page and then the target while the pages are on their way must see the
     * call either not yet done (the data, then SIGSEGV) or done (zero, then the data): the old
     * record is write-locked across the move, as Linux's vma_start_write does, so the read falls
     * back and waits. Without that, the read found the emptied page table, filled a zero page, and
     * the next read found the target not yet published: (0, SIGSEGV), after and then before.
     */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void aFaultOnWhatDontUnmapLeavesBehindWaitsForTheMove(Arch arch) {
        build(arch, Set.of(), Set.of());
        final long q = P + 64 * PAGE_SIZE;
        space.mmap(P, PAGE_SIZE, RW, ANON);
        store(0, P, 5);
        final java.util.concurrent.atomic.AtomicReference<Future<long[]>> racing = new java.util.concurrent.atomic.AtomicReference<>();
        hook.arm(FaultHooks.Point.WRITER_AFTER_ZAP, () -> {
            final Future<long[]> f = threads[0].submit(() -> {
                final Cpu c = machine.cpu(0);
                final int r1 = space.load(c, P);
                final long v1 = r1 == AccessResult.OK ? c.value() : -1000 - r1;
                final int r2 = space.load(c, q);
                return new long[] {v1, r2 == AccessResult.OK ? c.value() : -1000 - r2};
            });
            waitUntil(() -> f.isDone() || space.mmapLockWaiters() > 0);
            racing.set(f);
        });
        assertEquals(q, on(1, () -> space.mremap(P, PAGE_SIZE, PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP, q)));
        assertEquals(List.of(0L, 5L), java.util.Arrays.stream(get(racing.get())).boxed().toList());
        assertEquals(List.of(), space.checkQuiet());
    }

    /** fork write-protects the parent while a COW fault that decided to reuse its page is in flight. */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void forkDuringACowFault(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, PAGE_SIZE, RW, ANON);
        store(0, P, 1);
        space.mprotect(P, PAGE_SIZE, PROT_READ);
        space.mprotect(P, PAGE_SIZE, RW);
        final dev.specfault.fault.AddressSpace[] child = new dev.specfault.fault.AddressSpace[1];
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PTL, () -> child[0] = space.fork());
        assertEquals(AccessResult.OK, store(0, P, 2));
        assertTrue(space.stats().retries(SpaceStats.Retry.SEQUENCE) > 0);
        assertTrue(space.stats().faults(SpaceStats.Fault.COW_COPY) > 0);
        assertEquals(1, on(1, () -> {
            assertEquals(AccessResult.OK, child[0].load(machine.cpu(1), P));
            return machine.cpu(1).value();
        }));
        assertEquals(List.of(), space.checkQuiet());
        assertEquals(List.of(), child[0].checkQuiet());
    }

    /** Two CPUs grow the stack at once: one growth, both accesses succeed. */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void stackGrowthRacesALookup(Arch arch) {
        build(arch, Set.of(), Set.of(), true);
        final long low = space.config().stackTop() - SpaceConfig.INITIAL_STACK;
        final Future<?>[] other = new Future<?>[1];
        hook.arm(FaultHooks.Point.FAULT_BEFORE_FALLBACK, () -> {
            // CPU 0 saw the address below the stack and is about to take the lock: CPU 1 grows it first.
            assertEquals(AccessResult.OK, store(1, low - 2 * PAGE_SIZE, 22));
        });
        assertEquals(AccessResult.OK, store(0, low - 8, 11));
        assertEquals(11, load(1, low - 8));
        assertEquals(22, load(0, low - 2 * PAGE_SIZE));
        assertEquals(1, space.stats().faults(SpaceStats.Fault.GROWTH), "one growth served both");
        assertEquals(1, space.areas().size());
        assertEquals(List.of(), space.checkQuiet());
        assertTrue(other[0] == null);
    }

    /**
     * madvise(DONTNEED) frees the COW source a fault read from the PTE outside the PTL (frame ABA):
     * the get-unless-zero pin fails, or succeeds on a reused frame and the PTE re-read sees the
     * change; either way the fault starts over and zero-fills.
     */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void madviseFreesACowSourceBeforeThePin(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, 4 * PAGE_SIZE, RW, ANON);
        store(0, P, 1);
        space.mprotect(P, PAGE_SIZE, PROT_READ);
        space.mprotect(P, PAGE_SIZE, RW);
        final long inUse = machine.frames().inUse();
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PIN, () -> {
            assertEquals(0, space.madvise(P, PAGE_SIZE, Mman.MADV_DONTNEED)); // the source is freed ...
            machine.cpu(0).frameCache().drain(machine.frames());
            assertEquals(AccessResult.OK, store(1, P + 2 * PAGE_SIZE, 3)); // ... and maybe reused here
        });
        assertEquals(AccessResult.OK, store(0, P, 2));
        assertTrue(space.stats().retries(SpaceStats.Retry.PIN_FAILED) > 0);
        assertEquals(2, load(1, P));
        assertEquals(3, load(1, P + 2 * PAGE_SIZE));
        assertEquals(inUse + 1, machine.frames().inUse(), "one new page; nothing leaked");
        assertEquals(List.of(), space.checkQuiet());
    }

    /**
     * munmap frees the pages it zapped under the mmap lock downgraded to read, as Linux's munmap
     * does ({@code vms_complete_munmap_vmas}: {@code mmap_write_downgrade}, then the frees): a
     * fault that falls back for a missing page table completes meanwhile, while a writer (an mmap)
     * waits for the munmap to end. Before, the frees ran under the lock held for writing, and the
     * fault waited for all of them.
     */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void munmapFreesItsPagesUnderTheLockDowngradedToRead(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, PAGE_SIZE, RW, ANON);
        store(0, P, 1);
        final long frame = space.pmap().format().frame(space.pmap().pte(space.pmap().leafTable(P), Arch.index(P, 1)));
        final long q = P + (8L << 20); // a 2 MiB range of its own: no leaf table yet, so the fault falls back
        space.mmap(q, PAGE_SIZE, RW, ANON);
        final long r = P + (16L << 20);
        final java.util.concurrent.atomic.AtomicBoolean heldAtDowngrade = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicReference<Future<Integer>> fault = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicBoolean faultDone = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicReference<Future<Long>> writer = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicBoolean writerWaited = new java.util.concurrent.atomic.AtomicBoolean();
        hook.arm(FaultHooks.Point.WRITER_DOWNGRADED, () -> {
            heldAtDowngrade.set(!machine.frames().isFree(frame));
            final long fallbacks = space.stats().fallbacks(SpaceStats.Fallback.MISSING_TABLE);
            fault.set(raceStore(0, q, 2));
            faultDone.set(fault.get().isDone() && space.stats().fallbacks(SpaceStats.Fallback.MISSING_TABLE) > fallbacks);
            final Future<Long> w = threads[0].submit(() -> space.mmap(r, PAGE_SIZE, RW, ANON));
            waitUntil(() -> w.isDone() || space.mmapLockWaiters() > 0);
            writerWaited.set(!w.isDone());
            writer.set(w);
        });
        assertEquals(0L, on(1, () -> space.munmap(P, PAGE_SIZE)));
        assertTrue(heldAtDowngrade.get(), "the page is freed after the downgrade");
        assertTrue(faultDone.get(), "the fault that fell back ran while munmap freed its pages");
        assertEquals(AccessResult.OK, get(fault.get()));
        assertTrue(writerWaited.get(), "a writer waits while munmap holds the lock for reading");
        assertEquals(r, get(writer.get()));
        assertTrue(machine.frames().isFree(frame), "free when munmap returns");
        assertEquals(2, load(1, q));
        assertEquals(SEGV, load(1, P));
        assertEquals(List.of(), space.checkQuiet());
    }

    /** A brk that shrinks the heap frees its pages after the downgrade too, as munmap does (Linux: the same path). */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void brkShrinkFreesItsPagesUnderTheLockDowngradedToRead(Arch arch) {
        build(arch, Set.of(), Set.of());
        final long b = space.brk(0);
        assertEquals(b + PAGE_SIZE, space.brk(b + PAGE_SIZE));
        assertEquals(AccessResult.OK, store(0, b, 1));
        final long frame = space.pmap().format().frame(space.pmap().pte(space.pmap().leafTable(b), Arch.index(b, 1)));
        final java.util.concurrent.atomic.AtomicBoolean heldAtDowngrade = new java.util.concurrent.atomic.AtomicBoolean();
        hook.arm(FaultHooks.Point.WRITER_DOWNGRADED, () -> heldAtDowngrade.set(!machine.frames().isFree(frame)));
        assertEquals(b, (long) on(1, () -> space.brk(b)));
        assertTrue(heldAtDowngrade.get(), "the page is freed after the downgrade");
        assertTrue(machine.frames().isFree(frame), "free when brk returns");
        assertEquals(SEGV, load(1, b));
        assertEquals(List.of(), space.checkQuiet());
    }

    /**
     * An mremap that shrinks in place frees the tail's pages after the downgrade too (Linux's
     * {@code shrink_vma(vrm, true)}: the tail's {@code do_vmi_munmap} unlocks). A move that unmaps
     * its target ({@code mremap_to}'s {@code do_munmap}) keeps the lock for writing to the end.
     */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void mremapShrinkFreesItsPagesUnderTheLockDowngradedToRead(Arch arch) {
        build(arch, Set.of(), Set.of());
        space.mmap(P, 2 * PAGE_SIZE, RW, ANON);
        assertEquals(AccessResult.OK, store(0, P + PAGE_SIZE, 1));
        final long frame = space.pmap().format().frame(space.pmap().pte(space.pmap().leafTable(P), Arch.index(P + PAGE_SIZE, 1)));
        final java.util.concurrent.atomic.AtomicInteger downgrades = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicBoolean heldAtDowngrade = new java.util.concurrent.atomic.AtomicBoolean();
        hook.arm(FaultHooks.Point.WRITER_DOWNGRADED, () -> {
            downgrades.incrementAndGet();
            heldAtDowngrade.set(!machine.frames().isFree(frame));
        });
        assertEquals(P, (long) on(1, () -> space.mremap(P, 2 * PAGE_SIZE, PAGE_SIZE, 0, 0)));
        assertEquals(1, downgrades.get());
        assertTrue(heldAtDowngrade.get(), "the tail's page is freed after the downgrade");
        assertTrue(machine.frames().isFree(frame), "free when mremap returns");
        assertEquals(SEGV, load(1, P + PAGE_SIZE));

        final long target = P + (8L << 20);
        space.mmap(target, PAGE_SIZE, RW, ANON);
        assertEquals(AccessResult.OK, store(0, target, 2));
        assertEquals(AccessResult.OK, store(0, P, 3));
        final long targetFrame = space.pmap().format().frame(space.pmap().pte(space.pmap().leafTable(target), Arch.index(target, 1)));
        hook.arm(FaultHooks.Point.WRITER_DOWNGRADED, downgrades::incrementAndGet);
        assertEquals(target, (long) on(1, () -> space.mremap(P, PAGE_SIZE, PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, target)));
        assertEquals(1, downgrades.get(), "a move that unmaps its target does not downgrade");
        assertTrue(machine.frames().isFree(targetFrame), "the target's page is freed");
        assertEquals(3, load(1, target));
        assertEquals(List.of(), space.checkQuiet());
    }
}
