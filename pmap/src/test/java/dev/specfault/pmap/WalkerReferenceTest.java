package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.arm64.Arm64Walker;
import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.pmap.x86.X86Walker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hardware walkers against a reference decoder written here from the manuals, in raw bit
 * numbers (Intel SDM 4.5; Arm ARM D8), on random trees: presence, huge pages and blocks, rights
 * restricted at upper levels, reserved bits, access flags, DBM. Both the result and the accessed /
 * dirty updates the walk leaves in memory must agree.
 */
class WalkerReferenceTest {
    private static final int MAXPHYS = 46;

    private static long bit(long e, int b) {
        return (e >>> b) & 1;
    }

    private static long bits(long e, int hi, int lo) {
        return (e >>> lo) & ((1L << (hi - lo + 1)) - 1);
    }

    /** One expected entry update: (frame, index) becomes value. */
    record Update(long frame, int idx, long value) {
    }

    /** The reference's answer: the walk result and the writes the hardware makes. */
    record Expect(long result, List<Update> updates) {
    }

    // ------------------------------------------------------------------------------------------
    // Reference decoders

    static Expect x86(PhysicalMemory mem, int levels, long root, long va, int acc) {
        final int vaBits = levels == 5 ? 57 : 48;
        final long top = va >> (vaBits - 1);
        final List<Update> ups = new ArrayList<>();
        if (top != 0 && top != -1) {
            return new Expect(WalkResult.fault(WalkResult.NON_CANONICAL, 0, 0), ups);
        }
        final int err = 4 | (acc == Prot.ACCESS_WRITE ? 2 : 0) | (acc == Prot.ACCESS_EXEC ? 16 : 0);
        long table = root;
        boolean w = true;
        boolean u = true;
        boolean x = true;
        for (int lvl = levels; lvl >= 1; lvl--) {
            final int idx = (int) bits(va, 12 + 9 * lvl - 1, 12 + 9 * (lvl - 1));
            final long e = mem.getVolatile(table, idx);
            if (bit(e, 0) == 0) {
                return new Expect(WalkResult.fault(WalkResult.NOT_PRESENT, lvl, err), ups);
            }
            boolean rsvd = bits(e, 51, MAXPHYS) != 0;
            if (bit(e, 7) == 1 && lvl >= 4) {
                rsvd = true;
            }
            if (bit(e, 7) == 1 && (lvl == 2 || lvl == 3) && bits(e, 12 + 9 * (lvl - 1) - 1, 13) != 0) {
                rsvd = true;
            }
            if (rsvd) {
                return new Expect(WalkResult.fault(WalkResult.RESERVED, lvl, err | 1 | 8), ups);
            }
            w &= bit(e, 1) == 1;
            u &= bit(e, 2) == 1;
            x &= bit(e, 63) == 0;
            final boolean leaf = lvl == 1 || bit(e, 7) == 1;
            if (!leaf) {
                if (bit(e, 5) == 0) {
                    ups.add(new Update(table, idx, e | (1L << 5)));
                }
                table = bits(e, 51, 12);
                continue;
            }
            if (!u || acc == Prot.ACCESS_WRITE && !w || acc == Prot.ACCESS_EXEC && !x) {
                return new Expect(WalkResult.fault(WalkResult.PROTECTION, lvl, err | 1), ups);
            }
            final long ne = e | (1L << 5) | (acc == Prot.ACCESS_WRITE ? 1L << 6 : 0);
            if (ne != e) {
                ups.add(new Update(table, idx, ne));
            }
            final long below = (1L << (9 * (lvl - 1))) - 1;
            final long frame = (bits(ne, 51, 12) & ~below) + (bits(va, 63, 12) & below);
            final long flags = (w ? WalkResult.W : 0) | (u ? WalkResult.U : 0) | (x ? WalkResult.X : 0)
                    | (bit(ne, 6) == 1 ? WalkResult.D : 0) | (bit(ne, 8) == 1 ? WalkResult.G : 0);
            return new Expect(WalkResult.translation(frame, flags, lvl - 1), ups);
        }
        throw new AssertionError();
    }

    static Expect arm64(PhysicalMemory mem, long root, long va, int acc, boolean ha, boolean hd) {
        final List<Update> ups = new ArrayList<>();
        final long esr = ((long) (acc == Prot.ACCESS_EXEC ? 0x20 : 0x24) << 26) | (1L << 25)
                | (acc == Prot.ACCESS_WRITE ? 1L << 6 : 0);
        if ((va >>> 48) != 0) {
            return new Expect(WalkResult.fault(WalkResult.NOT_PRESENT, 4, esr | 0x04), ups);
        }
        long table = root;
        boolean noEl0 = false;
        boolean ro = false;
        boolean xn = false;
        for (int al = 0; al <= 3; al++) {
            final int lvl = 4 - al;
            final int idx = (int) bits(va, 47 - 9 * al, 39 - 9 * al);
            final long e = mem.getVolatile(table, idx);
            if (bit(e, 0) == 0 || (al == 0 || al == 3) && bit(e, 1) == 0) {
                return new Expect(WalkResult.fault(WalkResult.NOT_PRESENT, lvl, esr | 0x04 | al), ups);
            }
            if (bits(e, 49, 48) != 0) {
                return new Expect(WalkResult.fault(WalkResult.ADDRESS_SIZE, lvl, esr | al), ups);
            }
            if (al < 3 && bit(e, 1) == 1) {
                noEl0 |= bit(e, 61) == 1;
                ro |= bit(e, 62) == 1;
                xn |= bit(e, 60) == 1;
                table = bits(e, 47, 12);
                continue;
            }
            long ne = e;
            if (bit(e, 10) == 0) {
                if (!ha) {
                    return new Expect(WalkResult.fault(WalkResult.ACCESS_FLAG, lvl, esr | 0x08 | al), ups);
                }
                ne |= 1L << 10;
            }
            final boolean el0 = bit(e, 6) == 1 && !noEl0;
            final boolean xx = bit(e, 54) == 0 && !xn;
            boolean mayWrite = bit(e, 7) == 0 && !ro;
            if (acc == Prot.ACCESS_WRITE && bit(e, 7) == 1 && !ro && bit(e, 51) == 1 && hd) {
                ne &= ~(1L << 7);
                mayWrite = true;
            }
            if (!el0 || acc == Prot.ACCESS_WRITE && !mayWrite || acc == Prot.ACCESS_EXEC && !xx) {
                return new Expect(WalkResult.fault(WalkResult.PROTECTION, lvl, esr | 0x0c | al), ups);
            }
            if (ne != e) {
                ups.add(new Update(table, idx, ne));
            }
            final long below = (1L << (9 * (lvl - 1))) - 1;
            final long frame = (bits(ne, 47, 12) & ~below) + (bits(va, 63, 12) & below);
            final boolean w = bit(ne, 7) == 0 && !ro;
            final long flags = WalkResult.U | (w ? WalkResult.W | WalkResult.D : 0) | (xx ? WalkResult.X : 0)
                    | (bit(ne, 11) == 0 ? WalkResult.G : 0);
            return new Expect(WalkResult.translation(frame, flags, lvl - 1), ups);
        }
        throw new AssertionError();
    }

    // ------------------------------------------------------------------------------------------
    // Random trees

    /** Builds a random tree; returns the VAs of the paths it made (and the root via field). */
    static final class Tree {
        final PhysicalMemory mem;
        final FrameAllocator frames;
        final SplittableRandom rnd;
        final boolean x86;
        final int levels;
        final long root;
        final List<Long> vas = new ArrayList<>();
        final Map<Long, Long> tables = new HashMap<>();
        /** The machine whose memory holds the tree, so that a walk cache may cache its tables; or null. */
        final Machine machine;

        Tree(boolean x86, int levels, long seed) {
            this.x86 = x86;
            this.levels = levels;
            this.rnd = new SplittableRandom(seed);
            this.mem = new PhysicalMemory(4096);
            this.frames = new FrameAllocator(mem, 4095, false);
            this.machine = null;
            this.root = table();
        }

        /** A tree in {@code machine}'s memory, its tables known to the machine as table pages. */
        Tree(Machine machine, long seed) {
            this.x86 = machine.arch().isX86();
            this.levels = machine.arch().levels();
            this.rnd = new SplittableRandom(seed);
            this.mem = machine.memory();
            this.frames = machine.frames();
            this.machine = machine;
            this.root = table();
        }

        long table() {
            final long t = frames.alloc(null, FrameAllocator.TABLE, true);
            if (machine != null) {
                machine.tablePageForNewTable(t).init(1, 0, 0);
            }
            return t;
        }

        long randomVa() {
            final int vaBits = x86 ? (levels == 5 ? 56 : 47) : 48;
            long va = rnd.nextLong() & ((1L << vaBits) - 1) & ~0xfffL;
            if (rnd.nextInt(20) == 0) {
                va |= x86 ? 1L << 60 : 1L << 50; // outside: non-canonical / not TTBR0
            }
            return va;
        }

        void grow(int paths) {
            for (int p = 0; p < paths; p++) {
                final long va = randomVa();
                vas.add(va);
                long table = root;
                for (int lvl = levels; lvl >= 1; lvl--) {
                    final int idx = Arch.index(va, lvl);
                    final long cur = mem.getVolatile(table, idx);
                    final boolean tableHere = x86 ? (cur & 1) == 1 && (cur & 0x80) == 0 && lvl > 1
                            : (cur & 3) == 3 && lvl > 1;
                    if (tableHere && tables.containsKey(cur & 0xffff_ffff_f000L)) {
                        table = (cur >>> 12) & ((1L << 40) - 1);
                        continue;
                    }
                    final int r = rnd.nextInt(100);
                    if (lvl > 1 && r < 80) {
                        final long t = table();
                        tables.put(t << 12, t);
                        mem.putRelease(table, idx, x86 ? x86Table(t) : armTable(t));
                        table = t;
                        continue;
                    }
                    mem.putRelease(table, idx, x86 ? x86Leaf(lvl) : armLeaf(lvl));
                    break;
                }
            }
        }

        private long rbits(long... candidates) {
            long v = 0;
            for (long c : candidates) {
                if (rnd.nextInt(100) < 20) {
                    v |= c;
                }
            }
            return v;
        }

        long x86Table(long frame) {
            long e = (frame << 12) | 1;
            e |= rnd.nextInt(100) < 90 ? 2 : 0;         // RW mostly
            e |= rnd.nextInt(100) < 90 ? 4 : 0;         // US mostly
            e |= rnd.nextInt(100) < 10 ? 1L << 63 : 0;  // NX sometimes
            e |= rbits(1L << 5, 1L << 3, 1L << 4, 1L << 9, 1L << 52);
            return e;
        }

        long x86Leaf(int lvl) {
            long frame = rnd.nextLong() & ((1L << 30) - 1);
            if (rnd.nextInt(100) < 5) {
                frame |= 1L << (MAXPHYS - 12 + rnd.nextInt(52 - MAXPHYS)); // reserved address bit
            }
            long e = (frame << 12) & 0x000f_ffff_ffff_f000L;
            e |= rnd.nextInt(100) < 85 ? 1 : 0;
            e |= rnd.nextInt(100) < 70 ? 2 : 0;
            e |= rnd.nextInt(100) < 90 ? 4 : 0;
            e |= rnd.nextInt(100) < 30 ? 1L << 63 : 0;
            e |= rbits(1L << 5, 1L << 6, 1L << 8, 1L << 9);
            if (lvl > 1) {
                e |= 1L << 7; // PS: a huge leaf (reserved at levels 4/5)
                if (rnd.nextInt(100) < 70) {
                    e &= ~(((1L << (12 + 9 * (lvl - 1))) - 1) & ~((1L << 13) - 1)); // aligned
                }
            }
            return e;
        }

        long armTable(long frame) {
            long e = (frame << 12) | 3;
            e |= rbits(1L << 61, 1L << 62, 1L << 60, 1L << 59);
            return e;
        }

        long armLeaf(int lvl) {
            final long below = (1L << (9 * (lvl - 1))) - 1;
            long frame = rnd.nextLong() & ((1L << 30) - 1);
            if (rnd.nextInt(100) < 70) {
                frame &= ~below;
            }
            long e = (frame << 12) & 0x0000_ffff_ffff_f000L;
            e |= rnd.nextInt(100) < 85 ? 1 : 0;
            e |= lvl == 1 ? (rnd.nextInt(100) < 95 ? 2 : 0) : 0; // page bit (block at L1/L2 has 0)
            e |= rnd.nextInt(100) < 90 ? 1L << 6 : 0;            // AP[1] EL0
            e |= rnd.nextInt(100) < 50 ? 1L << 7 : 0;            // AP[2] read-only
            e |= rnd.nextInt(100) < 70 ? 1L << 10 : 0;           // AF
            e |= rnd.nextInt(100) < 50 ? 1L << 51 : 0;           // DBM
            e |= rnd.nextInt(100) < 30 ? 1L << 54 : 0;           // UXN
            e |= rnd.nextInt(100) < 90 ? 1L << 11 : 0;           // nG
            e |= rnd.nextInt(100) < 3 ? 1L << 48 : 0;            // OA above 48 bits
            e |= 3L << 8;
            return e;
        }
    }

    // ------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} levels={1} hwAF={2} hwDirty={3}")
    @CsvSource({"x86,4,true,true", "x86,5,true,true", "arm64,4,true,true", "arm64,4,false,false",
            "arm64,4,true,false"})
    void walkerAgreesWithTheReferenceOnRandomTrees(String arch, int levels, boolean ha, boolean hd) {
        final boolean x86 = arch.equals("x86");
        int translations = 0;
        int faults = 0;
        for (long seed = 1; seed <= 30; seed++) {
            final Tree t = new Tree(x86, levels, seed);
            t.grow(60);
            final Walker walker = x86 ? new X86Walker(t.mem, levels == 5 ? Arch.X86_64_LA57 : Arch.X86_64, MAXPHYS)
                    : new Arm64Walker(t.mem, ha, hd);
            for (int i = 0; i < 400; i++) {
                long va = t.rnd.nextInt(4) == 0 ? t.randomVa() : t.vas.get(t.rnd.nextInt(t.vas.size()));
                va |= t.rnd.nextLong() & 0xff8L;
                if (t.rnd.nextInt(3) == 0) {
                    va += (t.rnd.nextLong() & 0x1ff) << 12; // elsewhere inside a huge page
                }
                final int acc = t.rnd.nextInt(3);
                final Expect want = x86 ? x86(t.mem, levels, t.root, va, acc) : arm64(t.mem, t.root, va, acc, ha, hd);
                final long got = walker.walk(t.root, va, acc);
                final String ctx = arch + " seed " + seed + " va 0x" + Long.toHexString(va) + " access " + acc;
                assertEquals(WalkResult.toString(want.result()), WalkResult.toString(got), ctx);
                assertEquals(want.result(), got, ctx);
                for (Update u : want.updates()) {
                    assertEquals(u.value(), t.mem.getVolatile(u.frame(), u.idx()), ctx + ": hardware A/D update");
                }
                if (WalkResult.isFault(got)) {
                    faults++;
                } else {
                    translations++;
                    // peek agrees on the frame for what a speculative fill may cache.
                    final long p = walker.peek(t.root, va);
                    if (!WalkResult.isFault(p)) {
                        assertEquals(WalkResult.frame(got), WalkResult.frame(p), ctx + ": peek frame");
                    }
                }
            }
        }
        assertTrue(translations > 500 && faults > 500, "both outcomes exercised: " + translations + "/" + faults);
    }

    /**
     * Walks through a walk cache agree with the reference too: each walk starts from the lowest
     * entry the earlier walks of the tree cached for its address (x86 paging-structure caches, the
     * arm64 walk cache), with the rights the levels above it allowed. Found by mutation testing
     * (2026-11-30): a hit that dropped those rights (upper-level RW, US, NX; APTable, UXNTable)
     * passed every test, since the designs' table entries restrict nothing and the test above walks
     * without a cache.
     */
    @ParameterizedTest(name = "{0} levels={1} hwAF={2} hwDirty={3}")
    @CsvSource({"x86,4,true,true", "x86,5,true,true", "arm64,4,true,true", "arm64,4,false,false",
            "arm64,4,true,false"})
    void walksThroughAWalkCacheAgreeWithTheReference(String arch, int levels, boolean ha, boolean hd) {
        final boolean x86 = arch.equals("x86");
        final Arch a = x86 ? (levels == 5 ? Arch.X86_64_LA57 : Arch.X86_64) : Arch.ARM64;
        int hits = 0;
        for (long seed = 1; seed <= 30; seed++) {
            final Machine m = Machine.builder(a).cpus(1).frameLimit(1024).prefetchPercent(0).build();
            final Tree t = new Tree(m, seed);
            t.grow(60);
            final Walker walker = x86 ? new X86Walker(t.mem, a, MAXPHYS) : new Arm64Walker(t.mem, ha, hd);
            final WalkCache walks = new WalkCache(m, 0);
            for (int i = 0; i < 400; i++) {
                long va = t.rnd.nextInt(4) == 0 ? t.randomVa() : t.vas.get(t.rnd.nextInt(t.vas.size()));
                va |= t.rnd.nextLong() & 0xff8L;
                if (t.rnd.nextInt(3) == 0) {
                    va += (t.rnd.nextLong() & 0x1ff) << 12;
                }
                final int acc = t.rnd.nextInt(3);
                final Expect want = x86 ? x86(t.mem, levels, t.root, va, acc) : arm64(t.mem, t.root, va, acc, ha, hd);
                if (walks.lookup(1, va)) {
                    hits++;
                }
                final long got = walker.walk(t.root, va, acc, walks, 1);
                final String ctx = arch + " seed " + seed + " va 0x" + Long.toHexString(va) + " access " + acc;
                assertEquals(WalkResult.toString(want.result()), WalkResult.toString(got), ctx);
                assertEquals(want.result(), got, ctx);
                for (Update u : want.updates()) {
                    assertEquals(u.value(), t.mem.getVolatile(u.frame(), u.idx()), ctx + ": hardware A/D update");
                }
                if (!WalkResult.isFault(got)) {
                    final long p = walker.peek(t.root, va, walks, 1);
                    if (!WalkResult.isFault(p)) {
                        assertEquals(WalkResult.frame(got), WalkResult.frame(p), ctx + ": peek frame");
                    }
                }
            }
        }
        assertTrue(hits > 1000, "walks started from the cache: " + hits);
    }
}
