package dev.specfault.fault.check;

import dev.specfault.fault.Mman;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;

/**
 * P8 with lazy freeing: {@link SpaceLinearizability}'s operations plus madvise(MADV_FREE) and the
 * reclaim of lazy-free pages, against the same {@link SpaceModel} (a page MADV_FREE marked keeps its
 * value until reclaim discards it, unless something is stored to it first).
 *
 * <p>A harness of its own, so that the base harness keeps its operation mix: the long profile's
 * proofs that the model checker finds the fault-path seeded bugs are tuned to it, and two more
 * operations made three of the five miss their budget.
 */
public class LazyFreeLinearizability extends SpaceLinearizability {
    @Operation(nonParallelGroup = "writer")
    public long madviseFree(@Param(name = "page") int page, @Param(name = "pages") int pages) {
        return sys(space.madvise(addr(page), len(page, pages), Mman.MADV_FREE));
    }

    /**
     * Memory pressure: the window's lazy-free pages that are still clean are discarded. Not a writer:
     * reclaim runs beside the mmap lock's holders (Linux's try_to_unmap takes the rmap and page-table
     * locks), so it races faults, stores and writers alike. Its count is not compared: a page that
     * MADV_FREE marked but that was never touched has nothing to discard, and the model does not
     * know which pages are present.
     */
    @Operation
    public long reclaim() {
        return sys(space.reclaimLazyFree(WINDOW, WINDOW + PAGES * Mman.PAGE_SIZE));
    }
}
