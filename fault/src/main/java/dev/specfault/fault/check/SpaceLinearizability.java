package dev.specfault.fault.check;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;

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
 * <p>The configuration (design, architecture, seeded bugs) is read from {@link #configure} when
 * Lincheck creates an instance; {@link LinearizabilityCheck} sets it and runs one check at a time.
 */
@Param(name = "page", gen = IntGen.class, conf = "0:3")
@Param(name = "pages", gen = IntGen.class, conf = "1:2")
@Param(name = "prot", gen = IntGen.class, conf = "0:2")
@Param(name = "value", gen = LongGen.class, conf = "1:3")
public class SpaceLinearizability {
    /** Pages in the window. */
    public static final int PAGES = 4;
    /** The window: two pages each side of the leaf-table boundary at 0x40200000. */
    public static final long WINDOW = 0x40200000L - 2 * Mman.PAGE_SIZE;
    static final int WRITE = Mman.PROT_WRITE;
    static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    /** The result of a load or store that got SIGSEGV. */
    public static final long SEGV = -1000 - AccessResult.SIGSEGV;
    /** Frames per invocation: the window, its tables, COW copies; OOM cannot happen. */
    static final int FRAMES = 96;

    /** What the next instances check. [a] volatile: set before a check (under LinearizabilityCheck.class), read by the constructor. */
    private static volatile CheckConfig config;
    /** Parallel threads of the next check. [a] as {@code config}. */
    private static volatile int threads = 2;

    /** Sets what the next instances check, and how many parallel threads will run them. */
    static void configure(CheckConfig c, int parallelThreads) {
        config = c;
        threads = parallelThreads;
    }

    private final Machine machine;
    final AddressSpace space;
    private final AtomicInteger nextCpu = new AtomicInteger();
    private final ThreadLocal<Cpu> cpu;

    public SpaceLinearizability() {
        final CheckConfig c = config;
        final int cpus = threads + 1; // the parallel threads and the one that runs the init and post parts
        if (c == null) {
            throw new IllegalStateException("SpaceLinearizability.configure was not called");
        }
        machine = Machine.builder(c.arch()).frameLimit(FRAMES).cpus(cpus).tlbEntries(8).prefetchPercent(0)
                .bugs(c.pmapBugs()).build();
        space = Spaces.create(new SpaceOptions(c.design(), machine).name("lin").bugs(c.bugs()).vmaBugs(c.vmaBugs())
                .config(dev.specfault.fault.SpaceConfig.defaults(c.arch()).withInitialStack(false))
                .driver(c.deferredCallbacks() ? GracePeriodDriver.inlineDeferring() : GracePeriodDriver.inline()));
        cpu = ThreadLocal.withInitial(() -> {
            final Cpu x = machine.cpu(nextCpu.getAndIncrement());
            x.bind();
            return x;
        });
        final long r = space.mmap(WINDOW, PAGES * Mman.PAGE_SIZE, RW, Mman.MAP_PRIVATE | Mman.MAP_FIXED);
        if (r != WINDOW) {
            throw new IllegalStateException("initial mmap: " + r);
        }
    }

    static int prot(int code) {
        switch (code) {
            case 0: return Mman.PROT_NONE;
            case 1: return Mman.PROT_READ;
            default: return RW;
        }
    }

    static long addr(int page) {
        return WINDOW + page * Mman.PAGE_SIZE;
    }

    static long len(int page, int pages) {
        return Math.min(pages, PAGES - page) * Mman.PAGE_SIZE;
    }

    static long sys(long r) {
        return r < 0 ? r : 0;
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
        final Cpu c = cpu.get();
        final int r = space.load(c, addr(page));
        return r == AccessResult.OK ? c.value() : -1000 - r;
    }

    @Operation
    public long store(@Param(name = "page") int page, @Param(name = "value") long v) {
        final int r = space.store(cpu.get(), addr(page), v);
        return r == AccessResult.OK ? 0 : -1000 - r;
    }

    /** P0, P1, P5 and P3 in the quiet state between operations. */
    @Validate
    public void validate() {
        final List<String> v = new ArrayList<>(space.checkQuiet(WINDOW, WINDOW + PAGES * Mman.PAGE_SIZE));
        if (machine.useAfterFree().count() > 0) {
            v.addAll(machine.useAfterFree().reports());
        }
        if (!v.isEmpty()) {
            throw new IllegalStateException("invariant broken: " + v);
        }
    }
}
