package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.Cpu;
import java.util.SplittableRandom;

/**
 * ebizzy (after the benchmark of that name): each round maps a region of a random size (one page to
 * the cell's region size), stores tagged values to random pages of it (some twice), reads every
 * touched page back at the end (P4), and unmaps it. The random sizes make the layout churn:
 * splits of page tables, areas placed in the holes others left.
 */
final class Ebizzy {
    private Ebizzy() {
    }

    static long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round, SplittableRandom rnd) {
        final AddressSpace s = ctx.space();
        final int max = (int) (ctx.bytes() / Mman.PAGE_SIZE);
        final int n = 1 + rnd.nextInt(max);
        final long len = n * Mman.PAGE_SIZE;
        final long a = s.mmap(0, len, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        if (Errno.isError(a)) {
            ctx.violation("ebizzy mmap of " + n + " pages failed: " + Errno.format(a));
            return 0;
        }
        final long[] last = new long[n];
        long pages = 0;
        try {
            final int touches = 1 + rnd.nextInt(n);
            for (int k = 0; k < touches; k++) {
                final int i = rnd.nextInt(n);
                final long va = a + i * Mman.PAGE_SIZE;
                final long v = Touch.tag(thread, round << 16 | k, va);
                if (!Touch.storeAndCheck(ctx, s, cpu, va, v)) {
                    return pages;
                }
                last[i] = v;
                pages++;
            }
            for (int i = 0; i < n; i++) {
                if (last[i] != 0 && !Touch.expect(ctx, s, cpu, a + i * Mman.PAGE_SIZE, last[i],
                        "the last value stored there this round")) {
                    return pages;
                }
            }
        } finally {
            final long u = s.munmap(a, len);
            if (u != 0) {
                ctx.violation("ebizzy munmap failed: " + Errno.format(u));
            }
        }
        return pages;
    }
}
