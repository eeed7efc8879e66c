package dev.specfault.fault.check;

import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;

/**
 * P8 with seals: {@link SpaceLinearizability}'s operations plus mseal, against the same
 * {@link SpaceModel} (a sealed page refuses munmap, MAP_FIXED, mprotect, mremap of it or onto it with
 * EPERM, and MADV_DONTNEED while it is not writable). Sealing replaces the areas it covers (a flags
 * change, split or merged): a fault racing it must find the new areas or retry, and a writer must
 * see the seal once the call has returned.
 *
 * <p>A harness of its own, as {@link LazyFreeLinearizability} is, so that the base harness keeps its
 * operation mix: a sealed page refuses most writers from then on, which would thin out the
 * interleavings the seeded bugs' proofs need.
 */
public class SealLinearizability extends SpaceLinearizability {
    @Operation(nonParallelGroup = "writer")
    public long mseal(@Param(name = "page") int page, @Param(name = "pages") int pages) {
        return sys(space.mseal(addr(page), len(page, pages), 0));
    }
}
