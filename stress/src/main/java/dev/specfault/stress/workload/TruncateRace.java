package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * truncate_race: faults on a file that shrinks and grows under them. Every faulting thread maps one
 * file of a region's size, shared on even rounds and private on odd ones, and stores to (and reads
 * back) its own word of every page; writer threads take turns to ftruncate the file to a random
 * size below the region (a page boundary or not, sometimes 0) and back to the region's size, with
 * a pause after each so that faults see the file settled. A truncation ({@link FileObject#truncate})
 * writes the new size, takes the pages past it out of the cache and zaps every mapping's PTEs past
 * it, private copies too (Linux's {@code truncate_pagecache} zaps before and after it empties the
 * cache, with {@code even_cows}); a fault that got its page before that must notice.
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
 *
 * <p>Before its store, a thread loads its word of the page: the file's value there is 0 or the
 * thread's last store through a shared mapping, and 0 if a truncation past the page completed
 * after that store: pages that come back after a truncation are zero (P4; the seeded bug
 * page-cache-miss-past-end keeps a page a racing miss inserted past the new end, with the store
 * that reached it before the zap).
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
     *   [a]  atomic: a slot is set by a writer holding the monitor before the seq that publishes it
     *   [t]  row t is faulting thread t's own
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
        /** The end of truncation j (the one whose seq became 2j when it completed) at {@code j % ENDS}. */
        final AtomicLongArray ends = new AtomicLongArray(ENDS); // [a]
        /** Each thread's last store through a shared mapping to each page (its own word): the file's value, or 0. */
        final long[][] last; // [t]
        /**
         * The seq read right after that store (before its read-back): a truncation past the page
         * that completed after this read dropped the value. (One that completed before it may have
         * run before the store, and a growth after it, so that the store went to the grown file.)
         */
        final long[][] lastSeq; // [t]

        State(WorkloadContext ctx) {
            bytes = ctx.bytes();
            file = ctx.file(); // threads × region bytes: the first region is the one mapped
            final long r = file.truncate(bytes);
            if (r != 0) {
                throw new IllegalStateException("ftruncate of the workload's file to " + bytes + ": " + Errno.format(r));
            }
            end = bytes;
            final int pages = (int) (bytes / Mman.PAGE_SIZE);
            last = new long[ctx.threads()][pages];
            lastSeq = new long[ctx.threads()][pages];
        }
    }

    /** Truncations whose ends are kept: a thread away from a page for longer is not checked there. */
    static final int ENDS = 4096;

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
            final int page = (int) (off / Mman.PAGE_SIZE);
            if (!fileValue(ctx, st, space, cpu, thread, page, va, s1, how)) {
                break;
            }
            final long t0 = System.nanoTime();
            final int r = space.store(cpu, va, v);
            final long stored = st.seq; // at once: a truncation completing after it dropped v
            ctx.latency(cpu).recordValue(Math.max(0, System.nanoTime() - t0));
            final int l = r == AccessResult.OK ? space.load(cpu, va) : r;
            final long got = cpu.value();
            final long s2 = st.seq;
            if (r != AccessResult.OK && r != AccessResult.SIGBUS || l != AccessResult.OK && l != AccessResult.SIGBUS) {
                ctx.violation("P2: an access to a " + how + " mapping of the file returned "
                        + AccessResult.name(r == AccessResult.OK ? l : r)
                        + " at file offset " + Touch.hex(off + word));
                break;
            }
            if (r == AccessResult.SIGBUS) {
                ctx.sigbus();
            } else {
                pages++;
                if (shared && thread < st.last.length) {
                    st.last[thread][page] = v;
                    st.lastSeq[thread][page] = stored;
                }
            }
            if (s1 == s2 && (s1 & 1) == 0) {
                if (off < e && (r != AccessResult.OK || l != AccessResult.OK || got != v)) {
                    final boolean readBack = r == AccessResult.OK && l == AccessResult.OK;
                    ctx.violation((readBack ? "P4: read back " + Touch.hex(got) + ", stored " + Touch.hex(v)
                            : "P2: SIGBUS") + " at file offset " + Touch.hex(off + word) + " of a " + how
                            + " mapping, inside the file (its end " + Touch.hex(e) + ", no truncation running)");
                    break;
                }
                if (off >= e && r != AccessResult.SIGBUS) {
                    ctx.violation("P4: a store at file offset " + Touch.hex(off + word) + " through a " + how
                            + " mapping succeeded past the end of the file (" + Touch.hex(e) + ", its truncation complete)");
                    break;
                }
            } else if (r == AccessResult.OK && !afterTheTruncation(ctx, st, space, cpu, thread, page, va, how)) {
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
     * Thread {@code thread}'s word of file page {@code page}, loaded at {@code va} before its store
     * ({@code s1}: the seq read before the load), must be 0 or the thread's last store through a
     * shared mapping there, and 0 if a truncation that left the page past the end completed after
     * that store (after the seq read that followed it: the truncations run one at a time, so that one
     * was the last to start before the store or started after it, and either way its zap came after
     * the store): a page that comes back after a truncation is zero. False, with the violation
     * reported, if it is not.
     */
    private static boolean fileValue(WorkloadContext ctx, State st, AddressSpace space, Cpu cpu, int thread, int page,
                                     long va, long s1, String how) {
        if (thread >= st.last.length) {
            return true;
        }
        final int l = space.load(cpu, va);
        if (l != AccessResult.OK) {
            return true; // SIGBUS past the end: the store's checks below say whether it may be
        }
        final long got = cpu.value();
        if (got == 0) {
            return true;
        }
        final long mine = st.last[thread][page];
        final long off = (long) page * Mman.PAGE_SIZE;
        if (got != mine && !partOf(got, mine)) {
            ctx.violation("P4: word " + thread + " of file page " + page + " read " + Touch.hex(got) + " through a " + how
                    + " mapping: neither 0 nor the thread's last store there (" + Touch.hex(mine)
                    + "), nor its low bytes (a truncation inside the word)");
            return false;
        }
        final long dropped = droppedBy(st, st.lastSeq[thread][page], s1, off);
        if (dropped >= 0) {
            ctx.violation("P4: word " + thread + " of file page " + page + " read " + Touch.hex(got) + " through a " + how
                    + " mapping, the thread's store from before a truncation to " + Touch.hex(dropped)
                    + " that completed after it: a page that comes back after a truncation must be zero");
            return false;
        }
        return true;
    }

    /**
     * Whether {@code got} is {@code mine} with its bytes from some byte on zeroed: a truncation to a
     * size inside the word keeps the bytes below the end (the low ones: little-endian) and zeroes
     * the rest.
     */
    static boolean partOf(long got, long mine) {
        for (int k = 1; k < 8; k++) {
            if (got == (mine & ((1L << (8 * k)) - 1))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The end of a truncation that completed after seq {@code from} was read and by the time seq
     * {@code to} was (its seq became 2j with {@code from < 2j <= to}), and ended at or below
     * {@code off}; -1 if none, or if too many ran to tell.
     */
    static long droppedBy(State st, long from, long to, long off) {
        final long first = from / 2 + 1;
        final long lastJ = to / 2;
        if (lastJ - first >= ENDS) {
            return -1;
        }
        long found = -1;
        for (long j = first; j <= lastJ && found < 0; j++) {
            final long e = st.ends.get((int) (j % ENDS));
            if (e <= off) {
                found = e;
            }
        }
        // Slot j is reused by truncation j + ENDS, which writes it before its seq becomes even: if
        // that one may have run by now, the oldest slot read may hold its end instead.
        return (st.seq + 1) / 2 >= first + ENDS ? -1 : found;
    }

    /**
     * A store at {@code va} (file page {@code page}) succeeded while a truncation ran: once the file
     * has settled, a load there must be SIGBUS if the truncation left it past the end; and once the
     * file has grown past it again, the thread's word there must be what {@link #fileValue} allows
     * (0, if the truncation completed after the store). False, with the violation reported, if not.
     */
    private static boolean afterTheTruncation(WorkloadContext ctx, State st, AddressSpace space, Cpu cpu, int thread,
                                              int page, long va, String how) {
        final long off = (long) page * Mman.PAGE_SIZE;
        final long s1 = settled(ctx, st, -1);
        if (s1 < 0) {
            return true;
        }
        final long e = st.end;
        if (off < e) {
            return true; // inside the file now: nothing to say
        }
        final int l = space.load(cpu, va);
        if (l != AccessResult.SIGBUS) {
            if (st.seq == s1) {
                ctx.violation("P4: a page at file offset " + Touch.hex(off) + " of a " + how
                        + " mapping, faulted in while the file"
                        + " was truncated, is still mapped after the truncation completed (a load returned "
                        + AccessResult.name(l) + ", the end is " + Touch.hex(e) + ")");
                return false;
            }
            return true;
        }
        ctx.sigbus();
        // Past the end, as it must be. Wait for the file to grow back over the page, and look at
        // what it holds there.
        final long s2 = settled(ctx, st, off);
        return s2 < 0 || fileValue(ctx, st, space, cpu, thread, page, va, s2, how);
    }

    /** The longest a faulting thread waits for the file to settle: the writers may have stopped. */
    static final long SETTLE_WAIT_NANOS = 20_000_000;

    /**
     * Waits (yielding: the writer needs a core) until no truncation runs and, with {@code past} ≥ 0,
     * the file ends past {@code past}; the seq read then, or -1 if the wait gave up (the cell's end,
     * or {@link #SETTLE_WAIT_NANOS}: the writers stop at the first violation anywhere).
     */
    private static long settled(WorkloadContext ctx, State st, long past) {
        final long until = System.nanoTime() + SETTLE_WAIT_NANOS;
        for (;;) {
            final long s = st.seq;
            if ((s & 1) == 0 && (past < 0 || st.end > past) && st.seq == s) {
                return s;
            }
            if (ctx.timeUp() || System.nanoTime() - until >= 0) {
                return -1;
            }
            Thread.yield();
        }
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
            long r = -1;
            try {
                r = st.file.truncate(to);
            } finally {
                // Even again whatever happened (an emulator assertion under a seeded bug), with the
                // end the file has now.
                final long now = Mman.pageAlign(st.file.size());
                st.end = now;
                st.ends.set((int) ((st.seq + 1) / 2 % ENDS), now);
                st.seq = st.seq + 1;
            }
            ctx.writerLatency().recordValue(Math.max(0, System.nanoTime() - t0));
            if (r != 0) {
                ctx.violation("ftruncate of the file to " + to + " failed: " + Errno.format(r));
                return false;
            }
            return true;
        }
    }
}
