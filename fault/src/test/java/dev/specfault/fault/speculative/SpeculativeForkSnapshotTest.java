package dev.specfault.fault.speculative;

import static dev.specfault.fault.Mman.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.FaultHooks;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The speculative fork's child is the parent's memory at one instant inside the fork (P4). */
class SpeculativeForkSnapshotTest extends ScenarioBase {
    private static final long TABLE = 512 * PAGE_SIZE;

    /**
     * P4: the child's memory is the parent's at one instant inside the fork. fork has copied area
     * A and is about to write-protect area B when a parent thread stores to A and then, in program
     * order, to B. Linux keeps every VMA dup_mmap reached write-locked (vma_start_write) until
     * mmap_write_unlock, so the store to A waits for the whole fork and the store to B with it.
     * When A's write sequence was made even right after A's copy (found in review, 2026-11-30), the
     * store to A finished mid-fork, the one to B before B's copy: the child had the later store to
     * B and not the earlier one to A, no instant of the parent.
     */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void aStoreToAnAreaForkHasCopiedWaitsForTheWholeFork(Arch arch) {
        assertFalse(childIsNoInstant(arch, Set.of()),
                "the child has the parent's second store (B = 21) but not its first (A = 10): no instant of the parent");
    }

    /** The seeded bug FORK_SEQ_PER_AREA (each area's sequence released after its copy) is caught. */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void seededForkSeqPerAreaIsCaught(Arch arch) {
        assertTrue(childIsNoInstant(arch, Set.of(FaultBug.FORK_SEQ_PER_AREA)));
    }

    /** The scenario: whether the child has the second store to B and not the first to A. */
    private boolean childIsNoInstant(Arch arch, Set<FaultBug> bugs) {
        final long a = P;
        final long b = P + 2 * TABLE; // a separate area, another leaf table
        final AtomicReference<Future<int[]>> racing = new AtomicReference<>();
        build(arch, bugs, Set.of());
        assertEquals(a, space.mmap(a, PAGE_SIZE, RW, ANON));
        assertEquals(b, space.mmap(b, PAGE_SIZE, RW, ANON));
        assertEquals(AccessResult.OK, store(1, a, 10));
        assertEquals(AccessResult.OK, store(1, b, 20));
        // fork has copied A and is about to write-protect B.
        hook.arm(FaultHooks.Point.WRITER_AFTER_MARK, space, b, () -> {
            final Cpu c = machine.cpu(1);
            racing.set(threads[1].submit(() -> new int[] {space.store(c, a, 11), space.store(c, b, 21)}));
            waitUntil(() -> racing.get().isDone() || space.mmapLockWaiters() > 0);
        });
        final AddressSpace child = space.fork();
        assertNotNull(child);
        assertTrue(hook.fired, "the hook ran");
        final int[] r = get(racing.get());
        assertEquals(AccessResult.OK, r[0]);
        assertEquals(AccessResult.OK, r[1]);
        final long[] seen = on(1, () -> {
            final Cpu c = machine.cpu(1);
            assertEquals(AccessResult.OK, child.load(c, a));
            final long va = c.value();
            assertEquals(AccessResult.OK, child.load(c, b));
            return new long[] {va, c.value()};
        });
        assertEquals(List.of(), space.checkQuiet());
        assertEquals(List.of(), child.checkQuiet());
        return seen[0] == 10 && seen[1] == 21;
    }
}
