package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * fork_storm and exit_race: writer threads fork the cell's space again and again while the
 * faulting threads store into it (two passes per round, so that the second pass breaks the
 * copy-on-write sharing the forks left behind).
 *
 * <h2>What is checked</h2>
 * <ul>
 *   <li>Each writer owns a long-lived region of {@link #OWN_PAGES} pages in the parent, whose values
 *   it alone changes: after a fork the child holds exactly them (P4: the child is the parent at one
 *   instant inside the fork); the child's own stores read back; the parent never sees them.</li>
 *   <li>fork_storm: the writer bumps a fork generation before and after each fork, and the
 *   faulting threads put the generation they read just before each store into the value. In the
 *   child, the pages up to where each faulting thread was storing after the fork must hold no value
 *   with a generation from after the fork returned (P4: a parent's store leaked into the child); and
 *   read twice, with work in between, they must not change (nobody stores to the child there).</li>
 *   <li>exit_race: the child goes to a queue that another writer empties by exiting its spaces,
 *   while the forking writer's CPU, lazy, still points at the child and fills its TLB
 *   speculatively from the child's tables (the hardware may); afterwards the parent's own region
 *   must read back exactly (P0/P7: no entry of the exited child survives into the parent's
 *   tag).</li>
 *   <li>Faulting threads: before the second pass's store every page must still hold the first
 *   pass's value (a COW break must copy, P4).</li>
 *   <li>fork_storm, one instant: a faulting thread's region is two areas (the upper half
 *   MAP_NORESERVE, so they do not merge), and it stores to page i of the lower one, then page i of
 *   the upper one. fork copies areas in address order, so the lower is copied first. In the child,
 *   page i of the upper area must not hold a later store than page i of the lower one (P4: the child
 *   had the second store and not the first, no instant of the parent). Checked around the thread's
 *   cursor, when the thread's round spans the whole fork.</li>
 * </ul>
 * ENOMEM from fork (no frame for the child's tables) is counted, not a violation.
 */
final class Forks {
    /** Pages of each writer's long-lived region in the parent. */
    static final int OWN_PAGES = 16;
    /** What one leaf page table maps (2 MiB on both architectures). */
    static final long TABLE_SPAN = 512L * Mman.PAGE_SIZE;
    /** exit_race: long-lived children per writer (x86 has 6 PCID slots per CPU). */
    static final int RING = 8;

    /** A child waiting to exit, with what its copy of its forker's region holds. */
    record Child(AddressSpace space, int forker, long base, long[] values) {
    }

    /**
     * Per-cell state: each writer's region and expected values; the children waiting to exit.
     * <pre>
     * Who protects what:
     *   [c] index w: only writer w (thread threads+w) reads or writes it
     *   [a] concurrent queue / atomic
     * </pre>
     */
    static final class State {
        final long[] own;               // [c]
        final long[][] expected;        // [c]
        final long[] seq;               // [c]
        final ConcurrentLinkedQueue<Child> children = new ConcurrentLinkedQueue<>(); // [a]
        /**
         * Exited children whose reclamation may still be pending (each space has its own SRCU
         * domain): the oldest are waited for as the queue grows, the rest after the run (P6).
         */
        final ConcurrentLinkedQueue<AddressSpace> exited = new ConcurrentLinkedQueue<>(); // [a]
        /** exit_race: how many children writers have exited for other writers. */
        final AtomicLong exitsOfOthers = new AtomicLong(); // [a]
        /**
         * exit_race: children out of the queue that another writer is unmapping before their exit;
         * a writer that took one from the queue before may find its region gone (SIGSEGV).
         */
        final java.util.Set<AddressSpace> unmapping = java.util.concurrent.ConcurrentHashMap.newKeySet(); // [a]
        /** Bumped by every writer before and after each fork; faulting threads put it in their values. */
        final AtomicLong forkGen = new AtomicLong(); // [a]
        /**
         * Per faulting thread t: [3t] its round + 1 while its two areas are mapped (0 otherwise),
         * [3t + 1] the lower area's start, [3t + 2] the upper one's (each area is a half region long).
         */
        final AtomicLongArray pairs; // [a]

        /** exit_race: each writer's ring of long-lived children, more live spaces than a CPU has tags. */
        final Child[][] ring;           // [c]
        final int[] ringNext;           // [c]

        State(int writers, int threads) {
            pairs = new AtomicLongArray(3 * threads);
            ring = new Child[writers][RING];
            ringNext = new int[writers];
            own = new long[writers];
            expected = new long[writers][OWN_PAGES];
            seq = new long[writers];
        }
    }

    private Forks() {
    }

    /** Stores per page in the second pass (after the first, the page is writable in the TLB). */
    static final int SECOND_PASS_STORES = 4;
    private static final long GEN_MASK = (1L << 28) - 1;

    /**
     * A faulting thread's value: its thread, the fork generation it read just before the store, and
     * a sequence. <pre>
     *   63      56 55                28 27              0
     *  [thread+1 ][ fork generation   ][ sequence        ]
     * </pre>
     */
    static long value(int thread, long gen, long seq) {
        return (thread + 1L) << 56 | (gen & GEN_MASK) << 28 | (seq & GEN_MASK);
    }

    /**
     * A faulting thread's round: map two areas (the halves of its region, the upper one
     * MAP_NORESERVE so that they stay apart), store every page, page i of the lower area then page
     * i of the upper one, then every page again {@link #SECOND_PASS_STORES} times in the same order
     * (checking first that it still holds the first pass's value), unmap. Each value carries the
     * fork generation read just before the store.
     */
    static long twoPassRound(WorkloadContext ctx, Cpu cpu, int thread, long round) {
        final AddressSpace s = ctx.space();
        final State st = state(ctx);
        final AtomicLong gen = st.forkGen;
        final long half = Math.max(Mman.PAGE_SIZE, ctx.bytes() / 2 & -Mman.PAGE_SIZE);
        final int rw = Mman.PROT_READ | Mman.PROT_WRITE;
        final long x = s.mmap(0, half, rw, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        final long y = Errno.isError(x) ? x : s.mmap(0, half, rw, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_NORESERVE);
        if (Errno.isError(y)) {
            ctx.violation("mmap of a faulting thread's region failed: " + Errno.format(y));
            if (!Errno.isError(x)) {
                s.munmap(x, half);
            }
            return 0;
        }
        final long lo = Math.min(x, y);
        final long hi = Math.max(x, y);
        final long[] first = new long[(int) (2 * half / Mman.PAGE_SIZE)];
        long pages = 0;
        int n = first.length;
        st.pairs.set(3 * thread + 1, lo);
        st.pairs.set(3 * thread + 2, hi);
        st.pairs.set(3 * thread, round + 1);
        try {
            for (int j = 0; j < n; j++) {
                final long va = page(lo, hi, j);
                ctx.setCursor(thread, page(lo, hi, j & ~1)); // the lower page of the pair
                first[j] = value(thread, gen.get(), round * 8);
                if (!Touch.storeAndCheck(ctx, s, cpu, va, first[j])) {
                    return pages;
                }
                pages++;
                if ((pages & 63) == 0 && ctx.timeUp()) {
                    n = (j + 2) & -2; // the cell's time is up: the second pass covers what the first touched
                }
            }
            for (int j = 0; j < n; j++) {
                final long va = page(lo, hi, j);
                ctx.setCursor(thread, page(lo, hi, j & ~1));
                if (!Touch.expect(ctx, s, cpu, va, first[j], "the first pass's value, before the second pass's store")) {
                    return pages;
                }
                for (int k = 1; k <= SECOND_PASS_STORES; k++) {
                    if (!Touch.storeAndCheck(ctx, s, cpu, va, value(thread, gen.get(), round * 8 + k))) {
                        return pages;
                    }
                }
                pages++;
            }
        } finally {
            ctx.setCursor(thread, 0);
            st.pairs.set(3 * thread, 0);
            for (long a : new long[] {lo, hi}) {
                final long u = s.munmap(a, half);
                if (u != 0) {
                    ctx.violation("munmap of a faulting thread's region failed: " + Errno.format(u));
                }
            }
        }
        return pages;
    }

    /** The j-th page stored in a round: page j / 2 of the lower area, then the same page of the upper one. */
    private static long page(long lo, long hi, int j) {
        return ((j & 1) == 0 ? lo : hi) + (j >>> 1) * Mman.PAGE_SIZE;
    }

    /** A faulting thread's value's sequence (round * 8 + pass), or -1 if it is not thread {@code t}'s. */
    private static long seqOf(long v, int t) {
        return (v >>> 56) - 1 == t ? v & GEN_MASK : -1;
    }

    /**
     * fork_storm's one-instant check (see the class comment): {@code before} is each faulting
     * thread's round marker read before the fork; for the threads still in that round, page i of
     * the upper area in the child must not hold a later store than page i of the lower one.
     */
    private static boolean checkPairs(WorkloadContext ctx, State st, AddressSpace child, Cpu cpu, long[] before) {
        final long half = Math.max(Mman.PAGE_SIZE, ctx.bytes() / 2 & -Mman.PAGE_SIZE);
        for (int t = 0; t < before.length; t++) {
            final long c = ctx.cursor(t);
            final long lo = st.pairs.get(3 * t + 1);
            final long hi = st.pairs.get(3 * t + 2);
            if (before[t] == 0 || st.pairs.get(3 * t) != before[t] || c == 0) {
                continue; // not in one round across the whole fork
            }
            for (int i = 0; i < 4; i++) {
                final long l = c - i * Mman.PAGE_SIZE;
                if (l < lo || l >= lo + half) {
                    break; // (a cursor read before the round's start, or past the lower area's start)
                }
                final long h = hi + (l - lo);
                if (child.load(cpu, l) != AccessResult.OK) {
                    continue;
                }
                final long lv = cpu.value();
                if (child.load(cpu, h) != AccessResult.OK) {
                    continue;
                }
                final long hv = cpu.value();
                if (st.pairs.get(3 * t) != before[t]) {
                    break; // the round ended meanwhile: the addresses may be another round's
                }
                if (seqOf(hv, t) >= 0 && seqOf(hv, t) > seqOf(lv, t)) {
                    ctx.violation("P4: the child holds faulting thread " + t + "'s store " + Touch.hex(hv) + " at "
                            + Touch.hex(h) + " but not its earlier store to " + Touch.hex(l) + " (it holds "
                            + Touch.hex(lv) + "): the child is no instant of the parent");
                    return false;
                }
            }
        }
        return true;
    }

    private static State state(WorkloadContext ctx) {
        return (State) ctx.state();
    }

    /**
     * Maps the writer's region on its first step and stores new values into some of its pages.
     * Returns the writer's index, or -1 after a violation.
     */
    private static int prepareOwn(WorkloadContext ctx, State st, Cpu cpu, int thread, SplittableRandom rnd) {
        final AddressSpace s = ctx.space();
        final int w = thread - ctx.threads();
        if (st.own[w] == 0) {
            final long a = s.mmap(0, OWN_PAGES * Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
            if (Errno.isError(a)) {
                ctx.violation("mmap of a writer's region failed: " + Errno.format(a));
                return -1;
            }
            st.own[w] = a;
            for (int i = 0; i < OWN_PAGES; i++) {
                final long v = Touch.tag(thread, 0, a + i * Mman.PAGE_SIZE);
                if (!Touch.storeAndCheck(ctx, s, cpu, a + i * Mman.PAGE_SIZE, v)) {
                    return -1;
                }
                st.expected[w][i] = v;
            }
        }
        final long seq = ++st.seq[w];
        for (int i = 0; i < OWN_PAGES; i++) {
            if (rnd.nextInt(4) == 0) {
                final long va = st.own[w] + i * Mman.PAGE_SIZE;
                final long v = Touch.tag(thread, seq, va);
                if (!Touch.storeAndCheck(ctx, s, cpu, va, v)) {
                    return -1;
                }
                st.expected[w][i] = v;
            }
        }
        return w;
    }

    /**
     * Checks the child's copy of the writer's region, then stores into half of it (COW breaks in
     * the child) and checks that the parent does not see those stores. Returns false after a
     * violation.
     */
    private static long[] checkChild(WorkloadContext ctx, State st, Cpu cpu, int thread, int w, AddressSpace child,
                                     SplittableRandom rnd) {
        final AddressSpace s = ctx.space();
        final long base = st.own[w];
        for (int i = 0; i < OWN_PAGES; i++) {
            if (!Touch.expect(ctx, child, cpu, base + i * Mman.PAGE_SIZE, st.expected[w][i],
                    "the child's copy of the parent's value from before the fork")) {
                return null;
            }
        }
        final long cseq = st.seq[w] | 1L << 27;
        final long[] inChild = st.expected[w].clone();
        for (int i = rnd.nextInt(2); i < OWN_PAGES; i += 2) {
            inChild[i] = Touch.tag(thread, cseq, base + i * Mman.PAGE_SIZE);
            if (!Touch.storeAndCheck(ctx, child, cpu, base + i * Mman.PAGE_SIZE, inChild[i])) {
                return null;
            }
        }
        for (int i = 0; i < OWN_PAGES; i++) {
            if (!Touch.expect(ctx, s, cpu, base + i * Mman.PAGE_SIZE, st.expected[w][i],
                    "the parent's value: the child's stores must not show in the parent")) {
                return null;
            }
        }
        return inChild;
    }

    /** Reads, in the child, the pages around each faulting thread's cursor. */
    private static void readAroundCursors(WorkloadContext ctx, AddressSpace child, Cpu cpu, long[] at, long[] vals,
                                          boolean[] ok) {
        for (int i = 0; i < at.length; i++) {
            if (at[i] != 0) {
                ok[i] = child.load(cpu, at[i]) == AccessResult.OK;
                vals[i] = cpu.value();
            }
        }
    }

    /** One fork_storm writer step. */
    static long forkStormWriter(WorkloadContext ctx, Cpu cpu, int thread, SplittableRandom rnd) {
        final State st = state(ctx);
        final int w = prepareOwn(ctx, st, cpu, thread, rnd);
        if (w < 0) {
            return 0;
        }
        final long[] before = new long[ctx.threads()];
        for (int t = 0; t < before.length; t++) {
            before[t] = st.pairs.get(3 * t);
        }
        st.forkGen.incrementAndGet();
        final AddressSpace child = ctx.space().fork();
        final long done = st.forkGen.incrementAndGet(); // faulting threads' stores from here on are after the fork
        if (child == null) {
            ctx.forkFailed();
            return 0;
        }
        ctx.fork();
        try {
            // The faulting threads' stores in flight at the fork: the child's pages there must
            // stay as they were (read twice, with the region checks in between).
            final int n = ctx.threads();
            final long[] at = new long[4 * n];
            for (int t = 0; t < n; t++) {
                final long c = ctx.cursor(t);
                final long own = st.own[w];
                if (c != 0 && (c + Mman.PAGE_SIZE <= own || c - 3 * Mman.PAGE_SIZE >= own + OWN_PAGES * Mman.PAGE_SIZE)) {
                    // (not next to this writer's region, whose child copy it changes itself)
                    for (int j = 0; j < 4; j++) {
                        at[4 * t + j] = c - j * Mman.PAGE_SIZE;
                    }
                }
            }
            final long[] first = new long[at.length];
            final long[] second = new long[at.length];
            final boolean[] ok1 = new boolean[at.length];
            final boolean[] ok2 = new boolean[at.length];
            readAroundCursors(ctx, child, cpu, at, first, ok1);
            for (int i = 0; i < at.length; i++) {
                final long v = first[i];
                final long owner = (v >>> 56) - 1;
                if (ok1[i] && owner >= 0 && owner < n && ((v >>> 28) & GEN_MASK) >= (done & GEN_MASK)) {
                    ctx.violation("P4: the child holds " + Touch.hex(v) + " at " + Touch.hex(at[i])
                            + ", a value faulting thread " + owner + " stored after the fork had returned");
                    return 1;
                }
            }
            if (!checkPairs(ctx, st, child, cpu, before) || checkChild(ctx, st, cpu, thread, w, child, rnd) == null) {
                return 1;
            }
            readAroundCursors(ctx, child, cpu, at, second, ok2);
            for (int i = 0; i < at.length; i++) {
                if (ok1[i] && ok2[i] && first[i] != second[i]) {
                    ctx.violation("P4: the child's page at " + Touch.hex(at[i]) + " changed from "
                            + Touch.hex(first[i]) + " to " + Touch.hex(second[i])
                            + " though only the parent stores there (a parent's store after the fork leaked into the child)");
                    return 1;
                }
            }
        } finally {
            exit(ctx, st, child);
        }
        return 1;
    }

    /** Checks every page of a queued child's region (on this CPU: one more space it runs). */
    private static boolean checkQueued(WorkloadContext ctx, Cpu cpu, Child c) {
        for (int i = 0; i < OWN_PAGES; i++) {
            final long va = c.base() + i * Mman.PAGE_SIZE;
            final int r = c.space().load(cpu, va);
            if (r == AccessResult.KILLED && c.space().isExited()
                    || r == AccessResult.SIGSEGV && (state(ctx).unmapping.contains(c.space()) || c.space().isExited())) {
                // Another writer exited it meanwhile, or is unmapping its region first (or has, and
                // exited it: it leaves the unmapping set only after the exit).
                return true;
            }
            if (r != AccessResult.OK) {
                ctx.violation("P2: load of a queued child's page returned " + AccessResult.name(r) + " at " + Touch.hex(va));
                return false;
            }
            if (cpu.value() != c.values()[i]) {
                ctx.violation("P4/P7: read back " + Touch.hex(cpu.value()) + " at " + Touch.hex(va) + " in "
                        + c.space().name() + ", expected " + Touch.hex(c.values()[i])
                        + " (a child waiting to exit: its copy of its forker's region)");
                return false;
            }
        }
        return true;
    }

    private static void exitOne(WorkloadContext ctx, State st) {
        final Child c = st.children.poll();
        if (c != null) {
            exit(ctx, st, c.space());
        }
    }

    /**
     * Exits the oldest queued child another writer forked, if there is one. Every other time,
     * before it exits, the child unmaps the 2 MiB around its copy of its forker's region, whose leaf
     * table that forker's lazy CPU may still be walking speculatively, and its grace period passes:
     * the table is freed while the forker's CPU is still lazy on the space (x86: the unmap's flush
     * must switch it away, since it frees tables). The other times the exit's teardown meets the
     * forker's speculative fills of the region.
     */
    private static void exitOthers(WorkloadContext ctx, State st, int thread) {
        for (Child c : st.children) {
            if (c.forker() != thread && st.children.remove(c)) {
                if ((st.exitsOfOthers.getAndIncrement() & 1) == 0) {
                    exit(ctx, st, c.space());
                    return;
                }
                final long table = c.base() & -TABLE_SPAN;
                st.unmapping.add(c.space());
                final long r = c.space().munmap(table, TABLE_SPAN);
                if (Errno.isError(r)) {
                    ctx.violation("munmap of a child's 2 MiB at 0x" + Long.toHexString(table) + " failed: "
                            + Errno.format(r));
                }
                c.space().quiesce();
                exit(ctx, st, c.space());
                st.unmapping.remove(c.space()); // exited: a load now is KILLED
                return;
            }
        }
    }

    /** Exits a child; waits for the reclamation of the oldest exited ones beyond 32. */
    private static void exit(WorkloadContext ctx, State st, AddressSpace child) {
        child.exit();
        ctx.exit();
        st.exited.add(child);
        while (st.exited.size() > 32) {
            final AddressSpace old = st.exited.poll();
            if (old != null) {
                old.quiesce();
            }
        }
    }

    /**
     * One exit_race writer step: fork, check the child, leave it in the queue and speculate on it
     * from this (lazy) CPU until another writer has exited it; check the children still queued (so
     * that every CPU runs many live spaces and recycles its PCIDs/ASIDs); exit some; check the
     * parent's region.
     */
    static long exitRaceWriter(WorkloadContext ctx, Cpu cpu, int thread, SplittableRandom rnd) {
        final State st = state(ctx);
        exitOthers(ctx, st, thread); // first: its forker may be speculating on it now
        final int w = prepareOwn(ctx, st, cpu, thread, rnd);
        if (w < 0) {
            return 0;
        }
        final AddressSpace child = ctx.space().fork();
        if (child == null) {
            ctx.forkFailed();
            return 0;
        }
        ctx.fork();
        final long[] values = checkChild(ctx, st, cpu, thread, w, child, rnd);
        if (values == null) {
            exit(ctx, st, child);
            return 1;
        }
        final long base = st.own[w];
        if (ctx.writers() > 1) {
            // Leave the child for another writer to exit; meanwhile this CPU is lazy on it (the
            // last space it ran) and its TLB fills speculatively from the child's tables, until the
            // teardown is over (or 20 ms).
            st.children.add(new Child(child, thread, base, values));
            child.load(cpu, base);
            cpu.enterLazy();
            final long until = System.nanoTime() + 20_000_000;
            while (!child.pmap().isDead() && System.nanoTime() < until) {
                cpu.speculate(base + rnd.nextInt(OWN_PAGES) * Mman.PAGE_SIZE);
            }
        } else {
            st.children.add(new Child(child, thread, base, values));
        }
        // The ring: replace one long-lived child, then check them all from this CPU, which so runs
        // more live spaces than it has PCIDs: a recycled tag must not hit another space's entry.
        final int slot = st.ringNext[w]++ % RING;
        if (st.ring[w][slot] != null) {
            exit(ctx, st, st.ring[w][slot].space());
            st.ring[w][slot] = null;
        }
        final AddressSpace longLived = ctx.space().fork();
        if (longLived == null) {
            ctx.forkFailed();
        } else {
            ctx.fork();
            final long[] lv = checkChild(ctx, st, cpu, thread, w, longLived, rnd);
            if (lv == null) {
                exit(ctx, st, longLived);
                return 1;
            }
            st.ring[w][slot] = new Child(longLived, thread, base, lv);
        }
        for (Child c : st.ring[w]) {
            if (c != null && !checkQueued(ctx, cpu, c)) {
                return 1;
            }
        }
        // Every queued child still reads back.
        for (Child c : st.children) {
            if (!c.space().isExited() && c.space() != child && !checkQueued(ctx, cpu, c)) {
                return 1;
            }
        }
        final int keep = ctx.writers() > 1 ? 1 : 0;
        for (int k = 0; k < 2 && st.children.size() > keep + 3; k++) {
            exitOne(ctx, st);
        }
        if (st.children.size() > keep) {
            exitOne(ctx, st);
        }
        // The parent's region reads back exactly: no entry of an exited child was hit.
        for (int i = 0; i < OWN_PAGES; i++) {
            if (!Touch.expect(ctx, ctx.space(), cpu, base + i * Mman.PAGE_SIZE, st.expected[w][i],
                    "the parent's own value after children exited")) {
                return 1;
            }
        }
        return 1;
    }

    /** After the run: exits the children still queued. */
    static void finish(WorkloadContext ctx) {
        final State st = state(ctx);
        while (!st.children.isEmpty()) {
            exitOne(ctx, st);
        }
        for (Child[] r : st.ring) {
            for (int i = 0; i < r.length; i++) {
                if (r[i] != null) {
                    exit(ctx, st, r[i].space());
                    r[i] = null;
                }
            }
        }
        for (AddressSpace c; (c = st.exited.poll()) != null;) {
            c.quiesce();
        }
    }
}
