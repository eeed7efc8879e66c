package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.HdrHistogram.Recorder;

/**
 * The stress tool's workloads, after will-it-scale and DESIGN.md's "Measuring": each faulting
 * thread runs {@link #faulter} round after round on its own region; writer threads (those of
 * {@code mmap_churn} map and unmap elsewhere in the same space) run {@link #writer} step after step. Every store writes a value tagged with the thread and a
 * sequence number and reads it back (P4 within the thread's own region); a mismatch or an
 * unexpected signal is reported to {@code violation}.
 */
public enum Workload {
    /** page_fault1: private anonymous; map, touch every page, unmap. */
    PAGE_FAULT1("page_fault1", "private anonymous memory: map, touch every page, unmap"),
    /** page_fault2: private file mapping (each touch copies the file page). */
    PAGE_FAULT2("page_fault2", "a private file mapping: map, touch every page (COW of the page cache), unmap"),
    /** page_fault3: shared file mapping (the page cache's pages). */
    PAGE_FAULT3("page_fault3", "a shared file mapping: map, touch every page, unmap"),
    /** page_fault1 while writer threads mmap/munmap elsewhere in the space. */
    MMAP_CHURN("mmap_churn", "page_fault1 on own regions while writer threads mmap and munmap elsewhere");

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

    /** Whether the workload has writer threads by default. */
    public boolean hasWriters() {
        return this == MMAP_CHURN;
    }

    /** Whether the workload maps the cell's file object (page_fault2, page_fault3). */
    public boolean usesFile() {
        return this == PAGE_FAULT2 || this == PAGE_FAULT3;
    }

    /** Frames one writer thread may hold at once (the machine's frame limit is sized with it). */
    public long writerFrames() {
        return 64;
    }

    /**
     * One faulting thread's round: map {@code bytes}, store a tagged value to every page and load it
     * back, unmap. Returns pages touched; latencies of each touch go to {@code latency} (ns).
     */
    public long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round, SplittableRandom rnd) {
        final AddressSpace space = ctx.space();
        final FileObject file = ctx.file();
        final long bytes = ctx.bytes();
        final Recorder latency = ctx.latency();
        final Consumer<String> violation = ctx::violation;
        final int prot = Mman.PROT_READ | Mman.PROT_WRITE;
        final long a;
        switch (this) {
            case PAGE_FAULT2:
                a = space.mmap(0, bytes, prot, Mman.MAP_PRIVATE, file, 0);
                break;
            case PAGE_FAULT3:
                a = space.mmap(0, bytes, prot, Mman.MAP_SHARED, file, 0);
                break;
            default:
                a = space.mmap(0, bytes, prot, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
                break;
        }
        if (Errno.isError(a)) {
            violation.accept("mmap of a faulting thread's region failed: " + Errno.format(a));
            return 0;
        }
        long pages = 0;
        for (long off = 0; off < bytes; off += Mman.PAGE_SIZE) {
            // P4: (thread, round, page) tagged; the value read back must be this thread's own.
            final long tag = ((long) thread << 48) ^ (round << 20) ^ (off >>> 12);
            final long t0 = System.nanoTime();
            final int r = space.store(cpu, a + off, tag);
            latency.recordValue(Math.max(0, System.nanoTime() - t0));
            if (r != AccessResult.OK) {
                violation.accept("P2: store to a mapped page returned " + AccessResult.name(r) + " at 0x"
                        + Long.toHexString(a + off));
                break;
            }
            final int l = space.load(cpu, a + off);
            if (l != AccessResult.OK) {
                violation.accept("P2: load of a mapped page returned " + AccessResult.name(l));
                break;
            }
            if (cpu.value() != tag) {
                violation.accept("P4: read back 0x" + Long.toHexString(cpu.value()) + " after storing 0x"
                        + Long.toHexString(tag) + " at 0x" + Long.toHexString(a + off));
                break;
            }
            pages++;
        }
        final long u = space.munmap(a, bytes);
        if (u != 0) {
            violation.accept("munmap of a faulting thread's region failed: " + Errno.format(u));
        }
        return pages;
    }

    /**
     * One step of a writer thread (for mmap_churn: map a few pages somewhere, touch one, unmap them).
     * Returns the operations done.
     */
    public long writer(WorkloadContext ctx, Cpu cpu, int thread, SplittableRandom rnd) {
        final AddressSpace space = ctx.space();
        final Consumer<String> violation = ctx::violation;
        final long len = (1 + rnd.nextInt(16)) * Mman.PAGE_SIZE;
        final long a = space.mmap(0, len, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        if (Errno.isError(a)) {
            violation.accept("writer mmap failed: " + Errno.format(a));
            return 0;
        }
        if (rnd.nextBoolean()) {
            space.mprotect(a, Mman.PAGE_SIZE, Mman.PROT_READ);
        }
        space.store(cpu, a + len - Mman.PAGE_SIZE, 1);
        final long u = space.munmap(a, len);
        if (u != 0) {
            violation.accept("writer munmap failed: " + Errno.format(u));
        }
        return 1;
    }
}
