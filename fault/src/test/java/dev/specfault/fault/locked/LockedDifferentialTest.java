package dev.specfault.fault.locked;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Errno;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.vma.Area;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.AssertionFailedError;

/**
 * The same seeded random stream of operations on the speculative design and on the locked one (in
 * both modes), no frame limit in reach: every system call returns the same value or errno, every
 * load and store the same result and value, the layouts ({@code areas()}, {@code /proc/PID/maps},
 * the break) are the same after every writer, and at the end so are all the pages' contents and
 * the files'. (Resident PTEs are not compared: the designs may map different neighbours.)
 *
 * <p>The stream mixes anonymous and file mappings (private and shared, a file with a partial last
 * page for SIGBUS), FIXED / FIXED_NOREPLACE / hinted placement, GROWSDOWN and POPULATE, munmap,
 * mprotect (PROT_GROWSDOWN too), mremap (in place, MAYMOVE, FIXED), madvise(DONTNEED), brk, mseal,
 * mincore (its vector compared too), stack growth, fork and exit of children, in a window small enough that operations keep hitting
 * each other's areas.
 */
class LockedDifferentialTest {
    static final long WINDOW = 0x20000000L;
    static final int WINDOW_PAGES = 48;
    static final long P = Mman.PAGE_SIZE;

    /** One design's machine, CPU, files and live spaces; index i of two worlds is the same space. */
    static final class World {
        final Machine machine;
        final Cpu cpu;
        final FileObject[] files;
        final List<AddressSpace> spaces = new ArrayList<>();

        World(Design d, Arch arch, Set<FaultBug> bugs) {
            machine = Machine.builder(arch).cpus(1).frameLimit(8192).build();
            cpu = machine.cpu(0);
            cpu.bind();
            files = new FileObject[] {new FileObject("data", 16 * P, machine.frames()),
                new FileObject("short", 3 * P + 100, machine.frames())};
            for (int i = 0; i < 64; i++) {
                files[0].writeWord(i * 520L, 0xf00 + i);
            }
            files[1].writeWord(3 * P + 8, 0x5707);
            spaces.add(Spaces.create(new SpaceOptions(d, machine).name("p").config(SpaceConfig.defaults(arch))
                    .bugs(bugs).driver(GracePeriodDriver.inline())));
        }

        void close() {
            for (AddressSpace s : spaces) {
                s.exit();
            }
            cpu.unbind();
        }
    }

    static Stream<Arguments> cases() {
        final List<Arguments> l = new ArrayList<>();
        for (Design d : new Design[] {Design.LOCKED, Design.KERNEL_LOCK}) {
            for (Arch a : new Arch[] {Arch.X86_64, Arch.ARM64}) {
                for (long seed = 1; seed <= 3; seed++) {
                    l.add(Arguments.of(d, a, seed));
                }
            }
        }
        return l.stream();
    }

    private World spec;
    private World locked;

    @AfterEach
    void close() {
        if (spec != null) {
            spec.close();
        }
        if (locked != null) {
            locked.close();
        }
    }

    /** Both worlds' CPUs are bound to this thread; an access runs on the world's own CPU. */
    private static long access(World w, int si, boolean store, long va, long v) {
        final AddressSpace s = w.spaces.get(si);
        if (store) {
            return -1000 - s.store(w.cpu, va, v);
        }
        final int r = s.load(w.cpu, va);
        return r == AccessResult.OK ? w.cpu.value() : -1000 - r;
    }

    private static String layout(AddressSpace s) {
        final StringBuilder b = new StringBuilder();
        for (Area a : s.areas()) {
            b.append(Long.toHexString(a.start())).append('-').append(Long.toHexString(a.end())).append(' ')
                    .append(a.prot()).append(' ').append(a.flags()).append(' ').append(a.pgoff()).append(' ')
                    .append(a.backing() instanceof FileObject f ? f.name() : "-").append('\n');
        }
        return b.append("brk ").append(Long.toHexString(s.currentBrk())).append('\n').append(s.procMaps()).toString();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void sameStreamSameResults(Design d, Arch arch, long seed) {
        run(d, arch, seed, Set.of());
    }

    /** The comparison can fail: the locked side with a seeded bug (stale writable TLB entries). */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void aDivergenceIsFound(Arch arch) {
        // Seed 3 stores through a stale writable TLB entry at operation 27 on both architectures.
        assertThrows(AssertionFailedError.class, () -> run(Design.LOCKED, arch, 3, Set.of(FaultBug.MPROTECT_SKIP_FLUSH)));
    }

    private void run(Design d, Arch arch, long seed, Set<FaultBug> lockedBugs) {
        spec = new World(Design.SPECULATIVE, arch, Set.of());
        locked = new World(d, arch, lockedBugs);
        final Random rnd = new Random(seed);
        // Draws added after the seeds were chosen come from here, so that the stream's other draws stay.
        final Random later = new Random(~seed);
        final TreeSet<Long> touched = new TreeSet<>();
        final int ops = 700;
        final java.util.Map<String, Integer> mix = new java.util.TreeMap<>();
        for (int i = 0; i < ops; i++) {
            final int si = rnd.nextInt(spec.spaces.size());
            final Op op = Op.random(rnd, later, spec.spaces.get(si), spec.files.length);
            final String what = "op " + i + " (seed " + seed + ") on space " + si + ": " + op;
            if (op.kind == Op.FORK) {
                final AddressSpace a = spec.spaces.get(si).fork();
                final AddressSpace b = locked.spaces.get(si).fork();
                assertEquals(a == null, b == null, what);
                if (a != null && spec.spaces.size() < 4) {
                    spec.spaces.add(a);
                    locked.spaces.add(b);
                } else if (a != null) {
                    a.exit();
                    b.exit();
                }
                continue;
            }
            if (op.kind == Op.EXIT) {
                if (si > 0) {
                    spec.spaces.remove(si).exit();
                    locked.spaces.remove(si).exit();
                }
                continue;
            }
            if (op.kind == Op.LOAD || op.kind == Op.STORE) {
                final boolean store = op.kind == Op.STORE;
                final long ra = access(spec, si, store, op.a, op.v);
                final long rb = access(locked, si, store, op.a, op.v);
                assertEquals(ra, rb, what);
                final long code = -1000 - ra; // a store's result; a load's, unless it returned a value
                final boolean failed = code >= AccessResult.SIGSEGV && code <= AccessResult.KILLED;
                mix.merge(Op.NAMES[op.kind] + " " + (store || failed ? AccessResult.name((int) code) : "OK"), 1,
                        Integer::sum);
                if (store && ra == -1000 - AccessResult.OK) {
                    touched.add(op.a);
                }
                continue;
            }
            final long ra = op.apply(spec.spaces.get(si), spec.files);
            final long rb = op.apply(locked.spaces.get(si), locked.files);
            mix.merge(Op.NAMES[op.kind] + (ra < 0 && op.kind != Op.BRK ? " " + Errno.format(ra)
                    : op.kind == Op.MINCORE && ra > 0 ? " resident" : " ok"), 1, Integer::sum);
            if (op.kind == Op.MPROTECT && (op.prot & Mman.PROT_GROWSDOWN) != 0) {
                mix.merge("mprotect PROT_GROWSDOWN " + (ra < 0 ? Errno.format(ra) : "ok"), 1, Integer::sum);
            }
            assertEquals(ra, rb, () -> what + " (" + Errno.format(ra) + " vs " + Errno.format(rb) + ")");
            assertEquals(layout(spec.spaces.get(si)), layout(locked.spaces.get(si)), what);
        }
        // Contents: every word ever stored, and the first word of every page of every area.
        for (int si = 0; si < spec.spaces.size(); si++) {
            final TreeSet<Long> at = new TreeSet<>(touched);
            for (Area a : spec.spaces.get(si).areas()) {
                for (long va = a.start(); va < a.end() && va < a.start() + 64 * P; va += P) {
                    at.add(va);
                }
            }
            for (long va : at) {
                assertEquals(access(spec, si, false, va, 0), access(locked, si, false, va, 0),
                        "final contents of space " + si + " at 0x" + Long.toHexString(va));
            }
            assertEquals(layout(spec.spaces.get(si)), layout(locked.spaces.get(si)));
            assertEquals(List.of(), locked.spaces.get(si).checkQuiet());
        }
        for (int f = 0; f < spec.files.length; f++) {
            for (long off = 0; off + 8 <= spec.files[f].size(); off += 8) {
                assertEquals(spec.files[f].readWord(off), locked.files[f].readWord(off),
                        "file " + spec.files[f].name() + " at " + off);
            }
        }
        assertTrue(touched.size() > 20, "the stream stored something: " + touched.size());
        assertTrue(mix.getOrDefault("mseal ok", 0) > 0 && mix.keySet().stream().anyMatch(k -> k.endsWith(" EPERM")),
                () -> "the stream sealed something and was refused for it: " + mix);
        assertTrue(mix.getOrDefault("mincore resident", 0) > 0, () -> "mincore found pages in memory: " + mix);
        assertTrue(mix.getOrDefault("mprotect ok", 0) > 5 && mix.getOrDefault("mremap ok", 0) > 5
                && mix.getOrDefault("store OK", 0) > 50 && mix.getOrDefault("load SIGSEGV", 0) > 5, mix::toString);
    }

    /** One operation of the stream. */
    static final class Op {
        static final int MMAP = 0;
        static final int MUNMAP = 1;
        static final int MPROTECT = 2;
        static final int MREMAP = 3;
        static final int MADVISE = 4;
        static final int BRK = 5;
        static final int LOAD = 6;
        static final int STORE = 7;
        static final int FORK = 8;
        static final int EXIT = 9;
        static final int MSEAL = 10;
        static final int MINCORE = 11;

        int kind;
        long a;
        long len;
        long len2;
        int prot;
        int flags;
        int file = -1;
        long off;
        long v;
        long to;

        private static long page(Random r) {
            return WINDOW + r.nextInt(WINDOW_PAGES) * P;
        }

        private static int prot(Random r) {
            final int[] p = {Mman.PROT_NONE, Mman.PROT_READ, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.PROT_READ | Mman.PROT_WRITE, Mman.PROT_READ | Mman.PROT_EXEC};
            return p[r.nextInt(p.length)];
        }

        /** A page of the window, or (more often) of an area of {@code s} that starts in it. */
        private static long target(Random r, AddressSpace s) {
            if (r.nextInt(5) < 3) {
                final List<Area> in = new ArrayList<>();
                for (Area a : s.areas()) {
                    if (a.start() >= WINDOW && a.start() < WINDOW + WINDOW_PAGES * P) {
                        in.add(a);
                    }
                }
                if (!in.isEmpty()) {
                    final Area a = in.get(r.nextInt(in.size()));
                    return a.start() + r.nextInt((int) Math.min(a.pages(), 64)) * P;
                }
            }
            return page(r);
        }

        /** An address to access: mostly the window, sometimes the break, the stack or just below it. */
        private static long where(Random r, AddressSpace s) {
            final int k = r.nextInt(10);
            if (k < 7) {
                return target(r, s) + 8 * r.nextInt(4);
            }
            if (k == 7) {
                return s.startBrk() + r.nextInt(6) * P + 8 * r.nextInt(4);
            }
            final long low = s.config().stackTop() - SpaceConfig.INITIAL_STACK;
            return low - r.nextInt(12) * P + 8 * r.nextInt(4) - (k == 8 ? 0 : 40 * P);
        }

        static Op random(Random r, Random later, AddressSpace s, int files) {
            final Op o = new Op();
            final int k = r.nextInt(100);
            if (k < 12) {
                o.kind = MMAP;
                final int how = r.nextInt(10);
                o.a = how < 6 ? page(r) : how < 8 ? 0 : page(r) + 5; // FIXED; placed; a hint (or unaligned FIXED)
                o.len = (1 + r.nextInt(6)) * P - (r.nextInt(4) == 0 ? 100 : 0);
                o.prot = prot(r);
                o.flags = r.nextInt(3) == 0 ? Mman.MAP_SHARED : Mman.MAP_PRIVATE;
                if (how < 6) {
                    o.flags |= r.nextInt(4) == 0 ? Mman.MAP_FIXED_NOREPLACE : Mman.MAP_FIXED;
                } else if (how >= 8) {
                    o.flags |= r.nextBoolean() ? Mman.MAP_FIXED : 0;
                }
                if (r.nextInt(3) == 0) {
                    o.file = r.nextInt(files);
                    o.off = r.nextInt(4) * P;
                } else if (r.nextInt(8) == 0 || later.nextInt(3) == 0) {
                    o.flags |= Mman.MAP_GROWSDOWN;
                }
                if (r.nextInt(6) == 0) {
                    o.flags |= Mman.MAP_POPULATE;
                }
            } else if (k < 18) {
                o.kind = MUNMAP;
                o.a = target(r, s);
                o.len = (1 + r.nextInt(8)) * P;
            } else if (k < 25) {
                o.kind = MPROTECT;
                o.a = target(r, s);
                o.len = (1 + r.nextInt(8)) * P;
                o.prot = prot(r) | (later.nextInt(6) == 0 ? Mman.PROT_GROWSDOWN : 0);
            } else if (k < 30) {
                o.kind = MREMAP;
                o.a = target(r, s);
                o.len = (1 + r.nextInt(4)) * P;
                o.len2 = (1 + r.nextInt(6)) * P;
                final int f = r.nextInt(3);
                o.flags = f == 0 ? 0 : f == 1 ? Mman.MREMAP_MAYMOVE : Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED;
                o.to = page(r);
            } else if (k < 34) {
                o.kind = MADVISE;
                o.a = target(r, s);
                o.len = (1 + r.nextInt(6)) * P;
            } else if (k < 37) {
                o.kind = BRK;
                o.a = r.nextInt(5) == 0 ? 0 : s.startBrk() + r.nextInt(8 * (int) P);
            } else if (k < 65) {
                o.kind = STORE;
                o.a = where(r, s);
                o.v = r.nextLong();
            } else if (k < 96) {
                o.kind = LOAD;
                o.a = where(r, s);
            } else if (k < 97) {
                o.kind = MSEAL;
                o.a = target(r, s);
                o.len = (1 + r.nextInt(3)) * P;
            } else if (k < 99) {
                o.kind = FORK;
            } else {
                o.kind = EXIT;
            }
            if (o.kind == LOAD && later.nextInt(6) == 0) {
                // a load's draws made, the op becomes a mincore there (the stream's other draws stay)
                o.kind = MINCORE;
                o.a &= ~(P - 1);
                o.len = (1 + later.nextInt(6)) * P;
            }
            return o;
        }

        long apply(AddressSpace s, FileObject[] files) {
            switch (kind) {
                case MMAP:
                    return file < 0 ? s.mmap(a, len, prot, flags | Mman.MAP_ANONYMOUS)
                            : s.mmap(a, len, prot, flags, files[file], off);
                case MUNMAP:
                    return s.munmap(a, len);
                case MPROTECT:
                    return s.mprotect(a, len, prot);
                case MREMAP:
                    return s.mremap(a, len, len2, flags, to);
                case MADVISE:
                    return s.madvise(a, len, Mman.MADV_DONTNEED);
                case BRK:
                    return s.brk(a);
                case MSEAL:
                    return s.mseal(a, len, 0);
                case MINCORE: {
                    // the result, or the vector as bits (page i in bit i) when it succeeded
                    final byte[] vec = new byte[(int) (len / P)];
                    final long r = s.mincore(a, len, vec);
                    long bits = 0;
                    for (int i = 0; i < vec.length; i++) {
                        bits |= (long) vec[i] << i;
                    }
                    return r < 0 ? r : bits;
                }
                default:
                    throw new IllegalStateException("not a system call: " + kind);
            }
        }

        static final String[] NAMES = {"mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "load", "store", "fork",
            "exit", "mseal", "mincore"};

        @Override
        public String toString() {
            return NAMES[kind] + "(0x" + Long.toHexString(a) + ", len 0x" + Long.toHexString(len) + ", len2 0x"
                    + Long.toHexString(len2) + ", prot " + prot + ", flags 0x" + Integer.toHexString(flags) + ", file "
                    + file + ", off " + off + ", to 0x" + Long.toHexString(to) + ", v " + v + ")";
        }
    }
}
