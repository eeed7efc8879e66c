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
import org.jetbrains.lincheck.datastructures.Validate;

/**
 * What the P8 harnesses share ({@link SpaceLinearizability} and its lazy-free variant for anonymous
 * memory, {@link FileLinearizability} for files): one machine and one space per Lincheck instance,
 * each Lincheck thread bound to its own emulated CPU on first use, grace periods run inline, and the
 * quiet-state checks in {@link #validate()}. It has no operations: each harness has its own, with a
 * sequential model of the same names.
 *
 * <p>The configuration (design, architecture, seeded bugs) is read from {@link #configure} when
 * Lincheck creates an instance; {@link LinearizabilityCheck} sets it and runs one check at a time.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after the constructor (Lincheck starts its threads after it)
 *   [a] atomic or volatile
 *   [t] thread-local
 * </pre>
 */
public abstract class WindowHarness {
    /** Pages in the window. */
    public static final int PAGES = 4;
    /** The window: two pages each side of the leaf-table boundary at 0x40200000. */
    public static final long WINDOW = 0x40200000L - 2 * Mman.PAGE_SIZE;
    static final int WRITE = Mman.PROT_WRITE;
    static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    /** The result of a load or store that got SIGSEGV. */
    public static final long SEGV = -1000 - AccessResult.SIGSEGV;
    /** The result of a load or store that got SIGBUS. */
    public static final long SIGBUS = -1000 - AccessResult.SIGBUS;
    /** The result of a pread at or past the end of the file (0 bytes read). */
    public static final long EOF = -1003;
    /** Frames per invocation: the window, its tables, COW copies, a file's pages; OOM cannot happen. */
    static final int FRAMES = 96;

    /** What the next instances check: set before a check (under LinearizabilityCheck.class), read by the constructor. */
    private static volatile CheckConfig config; // [a]
    /** Parallel threads of the next check. */
    private static volatile int threads = 2; // [a]

    /** Sets what the next instances check, and how many parallel threads will run them. */
    static void configure(CheckConfig c, int parallelThreads) {
        config = c;
        threads = parallelThreads;
    }

    final CheckConfig checkConfig; // [I]
    final Machine machine; // [I]
    final AddressSpace space; // [I]
    private final AtomicInteger nextCpu = new AtomicInteger(); // [a]
    /** Each Lincheck thread's emulated CPU, bound on first use. */
    final ThreadLocal<Cpu> cpu; // [I], values [t]

    protected WindowHarness() {
        final CheckConfig c = config;
        final int cpus = threads + 1; // the parallel threads and the one that runs the init and post parts
        if (c == null) {
            throw new IllegalStateException("WindowHarness.configure was not called");
        }
        checkConfig = c;
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

    /** A load's encoded result: the word read, or -1000 minus the signal. */
    long loadWord(long va) {
        final Cpu c = cpu.get();
        final int r = space.load(c, va);
        return r == AccessResult.OK ? c.value() : -1000 - r;
    }

    /** A store's encoded result: 0, or -1000 minus the signal. */
    long storeWord(long va, long v) {
        final int r = space.store(cpu.get(), va, v);
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
