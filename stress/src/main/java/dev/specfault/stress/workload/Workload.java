package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The stress tool's workloads, after will-it-scale and DESIGN.md's "Measuring": each faulting
 * thread runs {@link #faulter} round after round; writer threads (those of the workloads with
 * {@link #hasWriters()}) run {@link #writer} step after step, with no pause. Every store writes a
 * value tagged with the thread and a sequence number and reads it back (P4 within the thread's own
 * memory); a mismatch or an unexpected signal is reported to the context's {@code violation}.
 *
 * <p>Life of a cell: {@link #config} adjusts the space's limits, {@link #start} makes the shared
 * state, the threads run (each calls {@link #leave} when it stops), {@link #finish} cleans up
 * before the checks after the run.
 */
public enum Workload {
    /** page_fault1: private anonymous; map, touch every page, unmap. */
    PAGE_FAULT1("page_fault1", "private anonymous memory: map, touch every page, unmap"),
    /** page_fault2: private file mapping (each touch copies the file page). */
    PAGE_FAULT2("page_fault2", "a private file mapping: map, touch every page (COW of the page cache), unmap"),
    /** page_fault3: shared file mapping (the page cache's pages). */
    PAGE_FAULT3("page_fault3", "a shared file mapping: map, touch every page, unmap"),
    /** page_fault1 while writer threads mmap/munmap elsewhere in the space. */
    MMAP_CHURN("mmap_churn", "page_fault1 while writers loop: mmap 64 KiB elsewhere, touch one page, munmap"),
    /**
     * mmap_churn with each writer in a space of its own on the same machine: the writers' load on
     * the CPUs, the memory and the frame allocator, without their mmap lock, SRCU callbacks or TLB
     * shootdowns in the faulting threads' space. mmap_churn's loss against this is the design's.
     */
    CHURN_APART("churn_apart",
            "mmap_churn with each writer in a space of its own on the same machine: the machine's load without the layout changes (a baseline for mmap_churn)"),
    /** mmap_churn with the writers' mappings placed top-down, next to the faulting threads' areas. */
    MERGE_CHURN("merge_churn",
            "mmap_churn placed top-down: each 64 KiB mapping merges with a faulting thread's area and munmap splits it again"),
    /** page_fault1 while writer threads lower the rights of pages they touched. */
    MPROTECT_CHURN("mprotect_churn",
            "page_fault1 while writers loop: mmap 64 KiB, touch 4 pages, mprotect read-only, a store must SIGSEGV, munmap"),
    /** Threads grow GROWSDOWN stacks of their own and one shared main stack. */
    STACK_GROWTH("stack_growth",
            "each thread grows a GROWSDOWN stack page by page to RLIMIT_STACK (then SIGSEGV), and all grow one main stack at once"),
    /** page_fault1 (two passes) while writers fork, check and exit children. */
    FORK_STORM("fork_storm",
            "page_fault1 in two passes while writers loop: fork, check the child's snapshot, COW stores in it, exit it"),
    /** Children exit while their parent breaks COW and their forker's CPU is lazy on them. */
    EXIT_RACE("exit_race",
            "children exit (by another writer) while the parent breaks COW on frames they share and their forker's lazy CPU speculates on them"),
    /** Faults on fixed areas that writers munmap and map again under them. */
    UNMAP_RACE("unmap_race",
            "threads load and store in fixed 64 KiB areas that writers munmap and map again under them (SIGSEGV only while unmapped)"),
    /** MADV_FREE of small batches, stores right after, while writers reclaim lazy-free pages. */
    MADV_FREE("madv_free",
            "each thread: store to a batch of 8 pages, MADV_FREE it, store to some of them again, read all back; writers reclaim lazy-free pages in a loop"),
    /** Every thread maps one shared file and touches its pages at once with the others; a new file each round. */
    FILE_RACE("file_race",
            "all threads map one shared file and store to every page at once (each its own word; on even rounds odd threads pread each next page first), a new empty file each round: every first touch is a page-cache miss raced by the others; pread must see each store"),
    /** Faults on a file, shared and private mappings, while writers truncate it and grow it back. */
    TRUNCATE_RACE("truncate_race",
            "all threads map one file (shared on even rounds, private on odd ones) and store to every page while writers ftruncate it below its size and back: SIGBUS past the end once a truncation is complete, never inside"),
    /** Random-size map, touch random pages, read back, unmap. */
    EBIZZY("ebizzy", "random-size map (4 KiB to the region size), random pages touched and read back, unmap");

    private final String cliName;
    private final String description;

    Workload(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    public String cliName() {
        return cliName;
    }

    public String description() {
        return description;
    }

    public static Workload byCliName(String s) {
        for (Workload w : values()) {
            if (w.cliName.equals(s)) {
                return w;
            }
        }
        return null;
    }

    /** Every workload's name, comma-separated (for messages). */
    public static String names() {
        final StringBuilder b = new StringBuilder();
        for (Workload w : values()) {
            b.append(b.length() == 0 ? "" : ", ").append(w.cliName);
        }
        return b.toString();
    }

    /** The names of the workloads with writer threads ({@link #hasWriters()}), comma-separated. */
    public static String withWriters() {
        final StringBuilder b = new StringBuilder();
        for (Workload w : values()) {
            if (w.hasWriters()) {
                b.append(b.length() == 0 ? "" : ", ").append(w.cliName);
            }
        }
        return b.toString();
    }

    /** Whether the workload has writer threads by default. */
    public boolean hasWriters() {
        return this == MMAP_CHURN || this == CHURN_APART || this == MERGE_CHURN || this == MPROTECT_CHURN || this == FORK_STORM || this == EXIT_RACE || this == UNMAP_RACE
                || this == MADV_FREE || this == TRUNCATE_RACE;
    }

    /** Whether writer threads may run beside it at all (stack_growth's stacks need their guard gaps free). */
    public boolean allowsWriters() {
        return this != STACK_GROWTH;
    }

    /**
     * Whether the workload maps the cell's file object (page_fault2, page_fault3: one region's size
     * per faulting thread, each thread at its own offset; file_race makes new files like it).
     */
    public boolean usesFile() {
        return this == PAGE_FAULT2 || this == PAGE_FAULT3 || this == FILE_RACE || this == TRUNCATE_RACE;
    }

    /**
     * Frames one writer thread may hold at once (the machine's frame limit is sized with it): a
     * forking writer's child holds copies of the page tables and of the pages it COW-breaks; exit_race
     * keeps a few children alive in its queue.
     */
    public long writerFrames() {
        switch (this) {
            case FORK_STORM:
                return 512;
            case EXIT_RACE:
                return 16 * 512;
            default:
                return 64;
        }
    }

    /**
     * Frames the live children of exit_race's ring may pin at once: each can hold the parent's
     * memory as it was at its fork (every faulting thread's region and every writer's own, with
     * their page tables) after the parent has unmapped or COW-broken it. The machine's frame limit
     * is sized with it, so that a store that returns OOM means a leak, not a small machine (found by
     * a review: kernel-lock's exit_race ran out of frames with 16 MiB regions).
     */
    public long pinnedFrames(int threads, int writers, long pages) {
        if (this != EXIT_RACE) {
            return 0;
        }
        return (long) writers * Forks.RING
                * ((long) threads * (pages + pages / 512 + 4) + (long) writers * (Forks.OWN_PAGES + 4));
    }

    /**
     * Frames one faulting thread with a region of {@code pages} may hold at once: its region, plus,
     * where forks share it, a COW copy of every page; stack_growth's share of the epoch space.
     */
    public long faulterFrames(long pages) {
        switch (this) {
            case PAGE_FAULT2: // the page cache's page and the private copy
            case FILE_RACE: // this round's file and a straggler's last one
            case TRUNCATE_RACE: // the file's page and a private copy
            case FORK_STORM:
            case EXIT_RACE:
                return 2 * pages;
            case STACK_GROWTH:
                return pages + pages / 2;
            default:
                return pages;
        }
    }

    /** The cell's space limits for this workload (stack_growth: RLIMIT_STACK of half a region). */
    public SpaceConfig config(SpaceConfig base, long bytes) {
        return this == STACK_GROWTH ? StackGrowth.config(base, bytes) : base;
    }

    /** Makes the workload's shared state, before any thread runs. */
    public void start(WorkloadContext ctx) {
        switch (this) {
            case FORK_STORM:
            case EXIT_RACE:
                ctx.state(new Forks.State(ctx.writers(), ctx.threads()));
                break;
            case STACK_GROWTH:
                ctx.state(new StackGrowth.State(ctx));
                break;
            case UNMAP_RACE:
                ctx.state(new UnmapRace.State(ctx));
                break;
            case MADV_FREE:
                ctx.state(new MadvFree.State(ctx));
                break;
            case FILE_RACE:
                ctx.state(new FileRace.State(ctx));
                break;
            case TRUNCATE_RACE:
                ctx.state(new TruncateRace.State(ctx));
                break;
            case CHURN_APART:
                ctx.state(new ApartSpaces(ctx));
                break;
            default:
                break;
        }
    }

    /** Thread {@code thread} stops running rounds (the run's end or a violation); always called. */
    public void leave(WorkloadContext ctx, int thread) {
        if (this == STACK_GROWTH) {
            StackGrowth.leave(ctx, thread);
        } else if (this == FILE_RACE) {
            FileRace.leave(ctx, thread);
        }
    }

    /** After every thread stopped, before the checks: exits the spaces the workload made. */
    public void finish(WorkloadContext ctx) {
        switch (this) {
            case FORK_STORM:
            case EXIT_RACE:
                Forks.finish(ctx);
                break;
            case STACK_GROWTH:
                StackGrowth.finish(ctx);
                break;
            case CHURN_APART:
                ((ApartSpaces) ctx.state()).finish(ctx);
                break;
            default:
                break;
        }
    }

    /**
     * One faulting thread's round. Returns pages touched; latencies of each touch go to the
     * context's recorder (ns).
     */
    public long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round, SplittableRandom rnd) {
        switch (this) {
            case STACK_GROWTH:
                return StackGrowth.faulter(ctx, cpu, thread, round);
            case FORK_STORM:
            case EXIT_RACE:
                return Forks.twoPassRound(ctx, cpu, thread, round);
            case EBIZZY:
                return Ebizzy.faulter(ctx, cpu, thread, round, rnd);
            case UNMAP_RACE:
                return UnmapRace.faulter(ctx, cpu, thread, round, rnd);
            case MADV_FREE:
                return MadvFree.faulter(ctx, cpu, thread, round, rnd);
            case FILE_RACE:
                return FileRace.faulter(ctx, cpu, thread, round);
            case TRUNCATE_RACE:
                return TruncateRace.faulter(ctx, cpu, thread, round);
            default:
                return pageFault(ctx, cpu, thread, round);
        }
    }

    /** page_fault1/2/3: map {@code bytes}, store a tagged value to every page and load it back, unmap. */
    /** A faulting thread reads its whole region again on one round in this many (a power of two). */
    static final long RE_READ_EVERY = 4;

    private long pageFault(WorkloadContext ctx, Cpu cpu, int thread, long round) {
        final AddressSpace space = ctx.space();
        final FileObject file = ctx.file();
        final long bytes = ctx.bytes();
        final int prot = Mman.PROT_READ | Mman.PROT_WRITE;
        final long a;
        switch (this) {
            case PAGE_FAULT2:
                a = space.mmap(0, bytes, prot, Mman.MAP_PRIVATE, file, thread * bytes);
                break;
            case PAGE_FAULT3:
                // each thread its own part of the file, as each will-it-scale process its own file
                a = space.mmap(0, bytes, prot, Mman.MAP_SHARED, file, thread * bytes);
                break;
            default:
                a = space.mmap(0, bytes, prot, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
                break;
        }
        if (Errno.isError(a)) {
            ctx.violation("mmap of a faulting thread's region failed: " + Errno.format(a));
            return 0;
        }
        if (this == PAGE_FAULT2
                && !Touch.expect(ctx, space, cpu, a, 0, "the file's own content: nothing writes the file, a private store reached it")) {
            // P4: private stores never reach the file. One page per round is read before its store
            // (a read fault maps the page cache's page read-only; the store must copy it): a store
            // of an earlier round that went to the page cache shows here. One read fault per round
            // (one per 4,096 faults with the default 16 MiB region).
            space.munmap(a, bytes);
            return 0;
        }
        long pages = 0;
        for (long off = 0; off < bytes; off += Mman.PAGE_SIZE) {
            // P4: (thread, round, page) tagged; the value read back must be this thread's own.
            if (!Touch.storeAndCheck(ctx, space, cpu, a + off, Touch.tag(thread, round, a + off))) {
                break;
            }
            pages++;
            if ((pages & 63) == 0 && ctx.timeUp()) {
                break; // the cell's time is up: the round ends here, unmapped as a whole one
            }
        }
        if ((round & (RE_READ_EVERY - 1)) == RE_READ_EVERY - 1) {
            // P4 after the fact: a store lost once its own read-back was done (a later fault that
            // clobbered the entry or frame next to its own, a merge or split that dropped pages)
            // is seen only by reading the pages again. Every page, on one round in four: a load
            // per page is a few percent of a fault, and page_fault1 is measured.
            for (long off = 0; off < pages * Mman.PAGE_SIZE; off += Mman.PAGE_SIZE) {
                if (!Touch.expect(ctx, space, cpu, a + off, Touch.tag(thread, round, a + off), "at the end of its round")) {
                    break;
                }
            }
        }
        final long u = space.munmap(a, bytes);
        if (u != 0) {
            ctx.violation("munmap of a faulting thread's region failed: " + Errno.format(u));
        }
        return pages;
    }

    /** One step of a writer thread. Returns the operations done. */
    public long writer(WorkloadContext ctx, Cpu cpu, int thread, SplittableRandom rnd) {
        switch (this) {
            case FORK_STORM:
                return Forks.forkStormWriter(ctx, cpu, thread, rnd);
            case EXIT_RACE:
                return Forks.exitRaceWriter(ctx, cpu, thread, rnd);
            case MPROTECT_CHURN:
                return mprotectStep(ctx, cpu, thread, rnd);
            case UNMAP_RACE:
                return UnmapRace.writer(ctx, cpu, thread, rnd);
            case MADV_FREE:
                return MadvFree.writer(ctx, rnd);
            case TRUNCATE_RACE:
                return TruncateRace.writer(ctx, rnd);
            default:
                return churnStep(ctx, cpu, thread, rnd);
        }
    }

    /**
     * churn_apart's spaces, one per writer (writer thread {@code t} is the cell's thread
     * {@code threads + t}), made like the cell's (same design, machine, bugs) before
     * any thread runs and exited after they all stopped.
     * <pre>
     * Who protects what:
     *   [I] filled in the constructor, before the cell's threads start (Thread.start orders it)
     * </pre>
     */
    static final class ApartSpaces {
        final AddressSpace[] spaces; // [I]

        ApartSpaces(WorkloadContext ctx) {
            spaces = new AddressSpace[ctx.writers()];
            for (int i = 0; i < spaces.length; i++) {
                spaces[i] = ctx.spawn();
            }
        }

        /** Checks each space quiet, then exits it and waits for its reclamation. */
        void finish(WorkloadContext ctx) {
            for (AddressSpace s : spaces) {
                final List<String> v = s.checkQuiet();
                if (!v.isEmpty()) {
                    ctx.violation(v.get(0) + " (a churn_apart writer's space)");
                }
                s.exit();
                s.quiesce();
                ctx.exit();
            }
        }
    }

    /** Pages a churning writer maps per step: 64 KiB, as the issue has it. */
    static final long CHURN_PAGES = 16;

    /** mmap_churn's writer: mmap 64 KiB somewhere, touch one page, munmap. */
    /**
     * Where mmap_churn's writer maps ("elsewhere"): a hint of its own 2 MiB slot 1 GiB below the
     * mmap base, far from the faulting threads' areas (which top-down placement puts just below the
     * base). Without it, each 64 KiB mapping lands next to a faulter's area and merges with it, so
     * every writer step replaces the faulter's VMA twice (merge, then split) — what Linux does too,
     * and what per-VMA-lock faults then fall back on — which is not the case this workload is for:
     * a layout change away from the faults. A hint is only a hint: if the slot is taken, the kernel's
     * top-down search places the mapping.
     */
    static long churnHint(AddressSpace space, int thread) {
        final long base = (space.config().mmapBase() - (1L << 30)) & ~((2L << 20) - 1);
        return Math.max(space.config().mmapMinAddr(), base - (long) thread * (2L << 20));
    }

    private long churnStep(WorkloadContext ctx, Cpu cpu, int thread, SplittableRandom rnd) {
        final AddressSpace space = this == CHURN_APART ? ((ApartSpaces) ctx.state()).spaces[thread - ctx.threads()] : ctx.space();
        final long len = CHURN_PAGES * Mman.PAGE_SIZE;
        final long a = space.mmap(this == MERGE_CHURN ? 0 : churnHint(space, thread), len, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        if (Errno.isError(a)) {
            ctx.violation("writer mmap failed: " + Errno.format(a));
            return 0;
        }
        final long va = a + rnd.nextInt((int) CHURN_PAGES) * Mman.PAGE_SIZE;
        Touch.storeAndCheck(ctx, space, cpu, va, Touch.tag(thread, 0, va));
        final long u = space.munmap(a, len);
        if (u != 0) {
            ctx.violation("writer munmap failed: " + Errno.format(u));
        }
        return 1;
    }

    /**
     * mprotect_churn's writer: mmap 64 KiB, store to 4 of its pages (writable translations in this
     * CPU's TLB), mprotect it read-only, and then a store must be SIGSEGV (P5) and the values read
     * back; munmap.
     */
    private static long mprotectStep(WorkloadContext ctx, Cpu cpu, int thread, SplittableRandom rnd) {
        final AddressSpace space = ctx.space();
        final long len = CHURN_PAGES * Mman.PAGE_SIZE;
        final long a = space.mmap(0, len, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        if (Errno.isError(a)) {
            ctx.violation("writer mmap failed: " + Errno.format(a));
            return 0;
        }
        try {
            final long[] at = new long[4];
            for (int i = 0; i < at.length; i++) {
                at[i] = a + rnd.nextInt((int) CHURN_PAGES) * Mman.PAGE_SIZE;
                if (!Touch.storeAndCheck(ctx, space, cpu, at[i], Touch.tag(thread, i, at[i]))) {
                    return 1;
                }
            }
            final long p = space.mprotect(a, len, Mman.PROT_READ);
            if (p != 0) {
                ctx.violation("writer mprotect failed: " + Errno.format(p));
                return 1;
            }
            final int k = rnd.nextInt(at.length);
            final int r = space.store(cpu, at[k], -1L);
            if (r == AccessResult.SIGSEGV) {
                ctx.sigsegv(); // expected: the page is read-only now
            } else {
                ctx.violation("P5: a store after mprotect(PROT_READ) returned " + AccessResult.name(r) + " at "
                        + Touch.hex(at[k]) + " (a stale writable translation)");
                return 1;
            }
            for (int i = at.length - 1; i >= 0; i--) {
                // the last value stored to each page (a page may have been picked twice)
                long v = Touch.tag(thread, i, at[i]);
                for (int j = i + 1; j < at.length; j++) {
                    if (at[j] == at[i]) {
                        v = Touch.tag(thread, j, at[j]);
                    }
                }
                if (!Touch.expect(ctx, space, cpu, at[i], v, "after mprotect(PROT_READ)")) {
                    return 1;
                }
            }
        } finally {
            final long u = space.munmap(a, len);
            if (u != 0) {
                ctx.violation("writer munmap failed: " + Errno.format(u));
            }
        }
        return 1;
    }
}
