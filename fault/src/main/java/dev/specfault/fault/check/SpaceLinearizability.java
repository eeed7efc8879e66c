package dev.specfault.fault.check;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Mman;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;

/**
 * P8 for one address space, by Lincheck: mmap, munmap, mprotect, madvise (MADV_DONTNEED), mremap (and with DONTUNMAP),
 * load and store are linearizable against {@link SpaceModel}; {@link LazyFreeLinearizability} adds
 * MADV_FREE and the reclaim of lazy-free pages. Following DESIGN.md's harness rules:
 * <ul>
 *   <li>writers use MAP_FIXED inside a window of {@link #PAGES} pages that straddles a leaf-table
 *   boundary (a 2 MiB line), so that faults, zaps and table frees meet on both sides of it;</li>
 *   <li>faults are not operations: they happen inside load and store;</li>
 *   <li>each Lincheck thread is bound to its own emulated CPU, on first use;</li>
 *   <li>no background threads: the SRCU domain runs grace periods inline, and TLB shootdowns are
 *   serviced inside the operations;</li>
 *   <li>a small frame pool, large enough that OOM cannot happen;</li>
 *   <li>P0, P1 and P5 ({@link AddressSpace#checkQuiet}) and the use-after-free log are checked in
 *   {@link #validate()}.</li>
 * </ul>
 * Writers are in one non-parallel group: the designs serialize them anyway (mmap lock, map lock),
 * and the interesting interleavings are between a writer and the faults.
 *
 * <p>The machine, the space and the quiet-state checks are {@link WindowHarness}'s, shared with
 * {@link FileLinearizability}.
 */
@Param(name = "page", gen = IntGen.class, conf = "0:3")
@Param(name = "pages", gen = IntGen.class, conf = "1:2")
@Param(name = "prot", gen = IntGen.class, conf = "0:2")
@Param(name = "value", gen = LongGen.class, conf = "1:3")
public class SpaceLinearizability extends WindowHarness {
    /** The window mapped private, anonymous, read-write, as the model starts. */
    public SpaceLinearizability() {
        final long r = space.mmap(WINDOW, PAGES * Mman.PAGE_SIZE, RW, Mman.MAP_PRIVATE | Mman.MAP_FIXED);
        if (r != WINDOW) {
            throw new IllegalStateException("initial mmap: " + r);
        }
    }

    @Operation(nonParallelGroup = "writer")
    public long mmap(@Param(name = "page") int page, @Param(name = "pages") int pages,
                     @Param(name = "prot") int protCode) {
        return sys(space.mmap(addr(page), len(page, pages), prot(protCode), Mman.MAP_PRIVATE | Mman.MAP_FIXED));
    }

    @Operation(nonParallelGroup = "writer")
    public long munmap(@Param(name = "page") int page, @Param(name = "pages") int pages) {
        return sys(space.munmap(addr(page), len(page, pages)));
    }

    @Operation(nonParallelGroup = "writer")
    public long mprotect(@Param(name = "page") int page, @Param(name = "pages") int pages,
                         @Param(name = "prot") int protCode) {
        return sys(space.mprotect(addr(page), len(page, pages), prot(protCode)));
    }

    @Operation(nonParallelGroup = "writer")
    public long madvise(@Param(name = "page") int page, @Param(name = "pages") int pages) {
        return sys(space.madvise(addr(page), len(page, pages), Mman.MADV_DONTNEED));
    }

    @Operation(nonParallelGroup = "writer")
    public long mremap(@Param(name = "page") int page, @Param(name = "page") int to) {
        return sys(space.mremap(addr(page), Mman.PAGE_SIZE, Mman.PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, addr(to)));
    }

    @Operation(nonParallelGroup = "writer")
    public long mremapDontUnmap(@Param(name = "page") int page, @Param(name = "page") int to) {
        return sys(space.mremap(addr(page), Mman.PAGE_SIZE, Mman.PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP, addr(to)));
    }

    @Operation
    public long load(@Param(name = "page") int page) {
        return loadWord(addr(page));
    }

    @Operation
    public long store(@Param(name = "page") int page, @Param(name = "value") long v) {
        return storeWord(addr(page), v);
    }
}
