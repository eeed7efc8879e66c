package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * madv_free: lazy freeing racing reclaim. Each faulting thread owns a private anonymous region
 * (mapped once, before the run) and walks it in batches of {@link #BATCH} pages: it stores a tagged
 * value to every page of the batch (read back), {@code madvise(MADV_FREE)}s the batch, at once
 * stores new values to a random subset of its pages (each with probability 3/4, top page first),
 * and loads the whole batch back. Writer threads
 * are reclaimers: they loop {@link AddressSpace#reclaimLazyFree} with no pause, which unmaps every
 * lazy-free page still clean and frees it: mostly over the batch a faulting thread is working on
 * (each publishes it before MADV_FREE), one step in {@link #FULL_PASS} over the whole space.
 *
 * <h2>What is checked (P4)</h2>
 * <ul>
 *   <li>a page stored to after MADV_FREE returns that value: reclaim must see the store's dirty
 *   state and keep the page. A zero (or anything else) is a lost store;</li>
 *   <li>a page not stored to after MADV_FREE returns its old value or zero (discarded), nothing
 *   else;</li>
 *   <li>every store is read back at once, before MADV_FREE too (a store to a still-lazy page of the
 *   last batch is also a first store after MADV_FREE).</li>
 * </ul>
 *
 * <h2>The race it is for</h2>
 * A store's first write to a lazy-free page makes the hardware set the entry's dirty state (a
 * CAS, no lock) while a reclaimer may be zapping that very entry under its PTL. get-and-clear
 * returns the dirty state whichever comes first; a zap that reads the entry and then writes 0 (the
 * seeded bug zap-plain-write) loses a CAS that lands in between, and the page is discarded with
 * the store in it. The window is a few instructions wide: small batches keep many first stores
 * right behind MADV_FREE, where the reclaimers are busy.
 */
final class MadvFree {
    /** Pages per MADV_FREE. */
    static final int BATCH = 8;
    /** How long a faulting thread waits after MADV_FREE for a reclaimer to start on its batch. */
    static final long WAIT_NANOS = 10_000;
    /** One reclaimer step in this many reclaims the whole space, not just a current batch. */
    static final int FULL_PASS = 64;

    /**
     * Each faulting thread's region.
     * <pre>
     * Who protects what:
     *   [I] immutable after start (published to the threads by Thread.start)
     *   [a] atomic: written by faulting thread t only, read by the reclaimers
     * </pre>
     */
    static final class State {
        final long[] base; // [I]
        /** Per faulting thread: the batch it is freeing and storing to now (0 before the first). */
        final AtomicLongArray batch; // [a]
        /** Per faulting thread: reclaim passes begun over its batch (bumped by the reclaimers). */
        final AtomicLongArray passes; // [a] written by the reclaimers

        State(WorkloadContext ctx) {
            final AddressSpace s = ctx.space();
            base = new long[ctx.threads()];
            batch = new AtomicLongArray(ctx.threads());
            passes = new AtomicLongArray(ctx.threads());
            for (int t = 0; t < base.length; t++) {
                final long a = s.mmap(0, ctx.bytes(), Mman.PROT_READ | Mman.PROT_WRITE,
                        Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
                if (Errno.isError(a)) {
                    ctx.violation("madv_free: mmap of a faulting thread's region failed: " + Errno.format(a));
                }
                base[t] = a;
            }
        }
    }

    private MadvFree() {
    }

    /** One pass over the thread's region; returns pages stored to. */
    static long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round, SplittableRandom rnd) {
        final State st = (State) ctx.state();
        final AddressSpace s = ctx.space();
        final long base = st.base[thread];
        if (Errno.isError(base)) {
            return 0;
        }
        final long len = BATCH * Mman.PAGE_SIZE;
        final long[] old = new long[BATCH];
        final long[] nu = new long[BATCH];
        long pages = 0;
        for (long off = 0; off + len <= ctx.bytes(); off += len) {
            final long a = base + off;
            for (int i = 0; i < BATCH; i++) {
                final long va = a + i * Mman.PAGE_SIZE;
                old[i] = Touch.tag(thread, round << 1, va);
                if (!Touch.storeAndCheck(ctx, s, cpu, va, old[i])) {
                    return pages;
                }
                pages++;
            }
            st.batch.set(thread, a); // the reclaimers follow it
            final long r = s.madvise(a, len, Mman.MADV_FREE);
            if (r != 0) {
                ctx.violation("madv_free: madvise(MADV_FREE) of a faulting thread's batch returned " + Errno.format(r));
                return pages;
            }
            if (ctx.writers() > 0) {
                // Start storing when a reclaimer starts on the batch (or after WAIT_NANOS): the stores
                // come down from the top while its zaps go up, and they cross.
                final long p0 = st.passes.get(thread);
                final long until = System.nanoTime() + WAIT_NANOS;
                while (st.passes.get(thread) == p0 && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
            }
            // Each page with probability 3/4, from the top of the batch down: the reclaimers walk
            // it upwards, so a reclaimer that runs right after MADV_FREE crosses the stores.
            final int subset = rnd.nextInt(1 << BATCH) | rnd.nextInt(1 << BATCH);
            for (int i = BATCH - 1; i >= 0; i--) {
                nu[i] = 0;
                if ((subset & (1 << i)) != 0) {
                    final long va = a + i * Mman.PAGE_SIZE;
                    nu[i] = Touch.tag(thread, round << 1 | 1, va);
                    final long t0 = System.nanoTime();
                    final int w = s.store(cpu, va, nu[i]);
                    ctx.latency(cpu).recordValue(Math.max(0, System.nanoTime() - t0));
                    if (w != AccessResult.OK) {
                        ctx.violation("P2: store after MADV_FREE returned " + AccessResult.name(w) + " at " + Touch.hex(va)
                                + " in " + s.name());
                        return pages;
                    }
                    pages++;
                }
            }
            for (int i = 0; i < BATCH; i++) {
                final long va = a + i * Mman.PAGE_SIZE;
                final int l = s.load(cpu, va);
                if (l != AccessResult.OK) {
                    ctx.violation("P2: load of a mapped page returned " + AccessResult.name(l) + " at " + Touch.hex(va)
                            + " in " + s.name());
                    return pages;
                }
                final long v = cpu.value();
                if (nu[i] != 0 && v != nu[i]) {
                    ctx.violation("P4: a store after MADV_FREE was lost: load at " + Touch.hex(va) + " in " + s.name()
                            + " returned " + Touch.hex(v) + ", expected " + Touch.hex(nu[i])
                            + (v == 0 ? " (reclaim discarded the page as clean: its dirty state was lost)" : ""));
                    return pages;
                }
                if (nu[i] == 0 && v != old[i] && v != 0) {
                    ctx.violation("P4: a lazy-free page not stored to since MADV_FREE returned " + Touch.hex(v) + " at "
                            + Touch.hex(va) + " in " + s.name() + ", expected its old value " + Touch.hex(old[i]) + " or 0");
                    return pages;
                }
            }
        }
        return pages;
    }

    /** A reclaimer's step: one reclaim pass over a faulting thread's current batch, or over the whole space. */
    static long writer(WorkloadContext ctx, SplittableRandom rnd) {
        final State st = (State) ctx.state();
        final int t = rnd.nextInt(st.batch.length());
        final long a = st.batch.get(t);
        if (a == 0 || rnd.nextInt(FULL_PASS) == 0) {
            ctx.space().reclaimLazyFree();
        } else {
            st.passes.incrementAndGet(t);
            ctx.space().reclaimLazyFree(a, a + BATCH * Mman.PAGE_SIZE);
        }
        return 1;
    }
}
