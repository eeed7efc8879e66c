package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * truncate_race: faults on a file that shrinks and grows under them. Every faulting thread maps one
 * file of a region's size, shared on even rounds and private on odd ones, and stores to (and reads
 * back) its own word of every page; writer threads take turns to ftruncate the file to a random
 * size below the region (a page boundary or not, sometimes 0) and back to the region's size, with
 * a pause after each so that faults see the file settled. Linux's {@code truncate_pagecache}: the
 * new size first, then the pages past it out of the cache, then every mapping's PTEs past it
 * ({@code even_cows}: the private copies too); a fault that got its page before that must notice.
 *
 * <h2>What is checked (P2, P4)</h2>
 * A writer makes a sequence odd before each truncation and even after it, with the end it left in
 * between (rounded up to a page). An access with the same even sequence before and after it ran
 * while the file was settled at that end: a store inside must succeed and read back (a SIGBUS
 * there is P2), one past the end must be SIGBUS (anything else is P4: a page past the end of the
 * file mapped after its truncation completed). An access a truncation overlapped may go either way;
 * if it succeeded, the thread waits for the file to settle and loads again: past the end it must
 * be SIGBUS now (the page a racing fault installed after the zap, the seeded bugs
 * truncate-without-write-seq and relock-without-timestamp; a private mapping the zap skipped,
 * truncate-shared-only).
 */
final class TruncateRace {
    private TruncateRace() {
    }

    /** The writers' pause after each truncation: long enough for faults to see the file settled. */
    static final long SETTLED_NANOS = 50_000;

    /**
     * The file and where its truncations are.
     * <pre>
     * Who protects what:
     *   [w]  written only by a writer holding this state's monitor (the writers take turns); read
     *        without it by the faulting threads (volatile: seq, then end, is a seqlock's read)
     *   [I]  immutable
     * </pre>
     */
    static final class State {
        final FileObject file; // [I]
        final long bytes; // [I]
        /** Even: the file settled at {@link #end}; odd: a truncation runs. */
        volatile long seq; // [w]
        /** The end of the last truncation, rounded up to a page: SIGBUS from here on while seq is even. */
        volatile long end; // [w]

        State(WorkloadContext ctx) {
            bytes = ctx.bytes();
            file = ctx.file(); // threads × region bytes: the first region is the one mapped
            final long r = file.truncate(bytes);
            if (r != 0) {
                throw new IllegalStateException("ftruncate of the workload's file to " + bytes + ": " + Errno.format(r));
            }
            end = bytes;
        }
    }

    static State state(WorkloadContext ctx) {
        return (State) ctx.state();
    }

    static long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round) {
        final State st = state(ctx);
        final AddressSpace space = ctx.space();
        final boolean shared = (round & 1) == 0;
        final long a = space.mmap(0, st.bytes, Mman.PROT_READ | Mman.PROT_WRITE, shared ? Mman.MAP_SHARED : Mman.MAP_PRIVATE,
                st.file, 0);
        if (Errno.isError(a)) {
            ctx.violation("mmap of the truncated file failed: " + Errno.format(a));
            return 0;
        }
        final String how = shared ? "shared" : "private";
        final long word = 8L * (thread % (Mman.PAGE_SIZE / 8));
        long pages = 0;
        for (long off = 0; off < st.bytes; off += Mman.PAGE_SIZE) {
            final long va = a + off + word;
            final long v = Touch.tag(thread, round, a + off);
            final long s1 = st.seq;
            final long e = st.end;
            final long t0 = System.nanoTime();
            final int r = space.store(cpu, va, v);
            ctx.latency(cpu).recordValue(Math.max(0, System.nanoTime() - t0));
            final int l = r == AccessResult.OK ? space.load(cpu, va) : r;
            final long got = cpu.value();
            final long s2 = st.seq;
            if (r != AccessResult.OK && r != AccessResult.SIGBUS || l != AccessResult.OK && l != AccessResult.SIGBUS) {
                ctx.violation("P2: an access to a " + how + " mapping of the file returned " + AccessResult.name(r == AccessResult.OK ? l : r)
                        + " at file offset " + Touch.hex(off + word));
                break;
            }
            if (r == AccessResult.SIGBUS) {
                ctx.sigbus();
            } else {
                pages++;
            }
            if (s1 == s2 && (s1 & 1) == 0) {
                if (off < e && (r != AccessResult.OK || l != AccessResult.OK || got != v)) {
                    ctx.violation((r == AccessResult.OK && l == AccessResult.OK ? "P4: read back " + Touch.hex(got) + ", stored " + Touch.hex(v)
                            : "P2: SIGBUS") + " at file offset " + Touch.hex(off + word) + " of a " + how
                            + " mapping, inside the file (its end " + Touch.hex(e) + ", no truncation running)");
                    break;
                }
                if (off >= e && r != AccessResult.SIGBUS) {
                    ctx.violation("P4: a store at file offset " + Touch.hex(off + word) + " through a " + how
                            + " mapping succeeded past the end of the file (" + Touch.hex(e) + ", its truncation complete)");
                    break;
                }
            } else if (r == AccessResult.OK && !stillMappedPastTheEnd(ctx, st, space, cpu, va, off, how)) {
                break;
            }
            if ((off & (63 * Mman.PAGE_SIZE)) == 0 && ctx.timeUp()) {
                break;
            }
        }
        final long u = space.munmap(a, st.bytes);
        if (u != 0) {
            ctx.violation("munmap of the truncated file failed: " + Errno.format(u));
        }
        return pages;
    }

    /**
     * A store at {@code va} (file offset {@code off}) succeeded while a truncation ran: once the file
     * has settled, a load there must be SIGBUS if the truncation left it past the end. False, with
     * the violation reported, if it is not.
     */
    private static boolean stillMappedPastTheEnd(WorkloadContext ctx, State st, AddressSpace space, Cpu cpu, long va,
                                                 long off, String how) {
        long s1;
        while (((s1 = st.seq) & 1) != 0) {
            if (ctx.timeUp()) {
                return true;
            }
            Thread.onSpinWait();
        }
        final long e = st.end;
        if (off < e) {
            return true; // inside the file now: nothing to say
        }
        final int l = space.load(cpu, va);
        if (l == AccessResult.SIGBUS) {
            ctx.sigbus();
        } else if (st.seq == s1) {
            ctx.violation("P4: a page at file offset " + Touch.hex(off) + " of a " + how + " mapping, faulted in while the file"
                    + " was truncated, is still mapped after the truncation completed (a load returned "
                    + AccessResult.name(l) + ", the end is " + Touch.hex(e) + ")");
            return false;
        }
        return true;
    }

    /**
     * A writer's step: truncate the file below the region's size, pause, truncate it back, pause.
     * Returns the truncations done.
     */
    static long writer(WorkloadContext ctx, SplittableRandom rnd) {
        final State st = state(ctx);
        final long to;
        switch (rnd.nextInt(4)) {
            case 0:
                to = 0;
                break;
            case 1:
                to = rnd.nextLong(st.bytes); // across a page
                break;
            default:
                to = rnd.nextLong(st.bytes / Mman.PAGE_SIZE) * Mman.PAGE_SIZE;
                break;
        }
        if (!truncate(ctx, st, to)) {
            return 0;
        }
        LockSupport.parkNanos(SETTLED_NANOS);
        if (!truncate(ctx, st, st.bytes)) {
            return 1;
        }
        LockSupport.parkNanos(SETTLED_NANOS);
        return 2;
    }

    /** One truncation to {@code to}, its sequence odd around it; false, with the violation reported, if it failed. */
    static boolean truncate(WorkloadContext ctx, State st, long to) {
        synchronized (st) {
            final long t0 = System.nanoTime();
            st.seq = st.seq + 1;
            final long r = st.file.truncate(to);
            st.end = Mman.pageAlign(to);
            st.seq = st.seq + 1;
            ctx.writerLatency().recordValue(Math.max(0, System.nanoTime() - t0));
            if (r != 0) {
                ctx.violation("ftruncate of the file to " + to + " failed: " + Errno.format(r));
                return false;
            }
            return true;
        }
    }
}
