package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_FIXED_NOREPLACE;
import static dev.specfault.fault.Mman.MAP_LOCKED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_EXEC;
import static dev.specfault.fault.Mman.PROT_NONE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * mseal, case for case as docs/linux/mseal.c ran on this machine's kernel (6.18; its output is
 * docs/linux/mseal.out): the same calls at the same page offsets of an empty window, the same
 * results, and the same layouts, written as that program prints them (areas overlapping the case's
 * pages, in page offsets from its base, with their rights and "sealed", "dontfork", "random").
 * On every design and both architectures.
 */
class MsealTest extends OneCpuSpaceTest {
    static final long P = PAGE_SIZE;
    static final int RW = PROT_READ | PROT_WRITE;
    static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;
    /** The window: 1024 pages with nothing mapped (below mmap_base on both architectures). */
    static final long W = 0x1000_0000L;

    static Stream<Arguments> spaces() {
        return ContractDesigns.spaces();
    }

    private final List<AddressSpace> spaces = new ArrayList<>();
    private final List<FileObject> files = new ArrayList<>();
    private long baseline;

    private AddressSpace space(Design d, Arch arch, SpaceConfig cfg) {
        machine = Machine.builder(arch).frameLimit(4096).cpus(2).build();
        cpu = machine.cpu(0);
        cpu.bind();
        baseline = machine.frames().inUse();
        final AddressSpace s = Spaces.create(new SpaceOptions(d, machine).name("t").config(cfg)
                .driver(GracePeriodDriver.inline()));
        spaces.add(s);
        return s;
    }

    private AddressSpace space(Design d, Arch arch) {
        return space(d, arch, SpaceConfig.defaults(arch));
    }

    /** A space of its own on the machine made last, with a 2-page [vdso] at page 210 of the window. */
    private AddressSpace withVdso(Design d, Arch arch, FileObject vdso) {
        final AddressSpace s = Spaces.create(new SpaceOptions(d, machine).name("v" + spaces.size())
                .config(SpaceConfig.defaults(arch)).driver(GracePeriodDriver.inline()));
        spaces.add(s);
        assertEquals(W + 210 * P, s.mmap(W + 210 * P, 2 * P, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, vdso, 0));
        return s;
    }

    @AfterEach
    void exitAll() {
        for (AddressSpace s : spaces) {
            s.exit(); // sealed areas go at exit like any other
            s.quiesce();
        }
        files.forEach(FileObject::close);
        if (machine != null) {
            assertEquals(baseline, machine.frames().inUse(), "frames in use after every space exited");
        }
    }

    /** mmap(W + page * 4096, n pages, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), as mseal.c's at(). */
    private static long at(AddressSpace s, int page, int n, int prot) {
        final long a = s.mmap(W + page * P, n * P, prot, ANON | MAP_FIXED);
        assertEquals(W + page * P, a);
        return a;
    }

    /** mseal.c's layout(): the areas overlapping [base, base + n pages). */
    private static String layout(AddressSpace s, long base, int n) {
        return WindowLayout.of(s, base, n);
    }

    private static final long EINVAL = -Errno.EINVAL;
    private static final long ENOMEM = -Errno.ENOMEM;
    private static final long EPERM = -Errno.EPERM;

    @ParameterizedTest
    @MethodSource("spaces")
    void argumentsAndHoles(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long a = at(s, 0, 4, RW);
        assertEquals(0, s.munmap(a + 2 * P, P));
        assertEquals(EINVAL, s.mseal(a, P, 1));
        assertEquals(EINVAL, s.mseal(a + 1, P, 0));
        assertEquals(0, s.mseal(a, 0, 0));
        assertEquals(EINVAL, s.mseal(a, -1L, 0));
        assertEquals(EINVAL, s.mseal(a, -P * 2, 0));
        assertEquals(ENOMEM, s.mseal(a, 4 * P, 0));
        assertEquals(" [0,2)rw-p [3,4)rw-p", layout(s, a, 4), "a hole: nothing sealed");
        final long top = s.config().taskSize();
        assertEquals(ENOMEM, s.mseal(top - P, 2 * P, 0));
        assertEquals(ENOMEM, s.mseal(top, P, 0));
        assertEquals(0, s.mseal(a, P + 1, 0));
        assertEquals(" [0,2)rw-p sealed [3,4)rw-p", layout(s, a, 4));
        assertEquals(0, s.mseal(a, 2 * P, 0), "sealing again");
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void splitsAndMerges(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long b = at(s, 8, 5, RW);
        assertEquals(0, s.mseal(b + 2 * P, P, 0));
        assertEquals(" [0,2)rw-p [2,3)rw-p sealed [3,5)rw-p", layout(s, b, 5));
        assertEquals(0, s.mseal(b + P, P, 0));
        assertEquals(" [0,1)rw-p [1,3)rw-p sealed [3,5)rw-p", layout(s, b, 5));
        final long e = at(s, 16, 3, RW);
        assertEquals(0, s.mseal(e, P, 0));
        assertEquals(0, s.mseal(e + 2 * P, P, 0));
        assertEquals(" [0,1)rw-p sealed [1,2)rw-p [2,3)rw-p sealed", layout(s, e, 3));
        assertEquals(0, s.mseal(e, 3 * P, 0));
        assertEquals(" [0,3)rw-p sealed", layout(s, e, 3));
        assertEquals(0, s.madvise(e + P, P, Mman.MADV_RANDOM), "advice that only sets flags may split a sealed area");
        assertEquals(0, s.mlock(e + P, P, 0));
        assertEquals(0, s.munlock(e + P, P));
        assertEquals(" [0,1)rw-p sealed [1,2)rw-p sealed random [2,3)rw-p sealed", layout(s, e, 3));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void munmapAndMapFixed(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long b = at(s, 8, 5, RW);
        assertEquals(0, s.mseal(b + P, 2 * P, 0));
        store(s, b + P, 7);
        assertEquals(0, s.munmap(b, P));
        assertEquals(EPERM, s.munmap(b + P, P));
        assertEquals(EPERM, s.munmap(b, 5 * P));
        assertEquals(0, s.munmap(b + 3 * P, 2 * P));
        assertEquals(" [1,3)rw-p sealed", layout(s, b, 5));
        assertEquals(EPERM, s.mmap(b + P, P, PROT_READ, ANON | MAP_FIXED));
        assertEquals(EPERM, s.mmap(b, 3 * P, PROT_READ, ANON | MAP_FIXED));
        assertEquals(-Errno.EEXIST, s.mmap(b + P, P, PROT_READ, ANON | MAP_FIXED_NOREPLACE));
        assertEquals(7, load(s, b + P));
        // The cut at the start of an unsealed first area stays.
        final long c = at(s, 24, 3, RW);
        at(s, 27, 1, PROT_READ);
        assertEquals(0, s.mseal(c + 3 * P, P, 0));
        assertEquals(EPERM, s.munmap(c + P, 3 * P));
        assertEquals(" [0,1)rw-p [1,3)rw-p [3,4)r--p sealed", layout(s, c, 4));
        final long dd = at(s, 32, 3, RW);
        at(s, 35, 1, PROT_READ);
        assertEquals(0, s.mseal(dd + 3 * P, P, 0));
        assertEquals(EPERM, s.mmap(dd + P, 3 * P, PROT_READ, ANON | MAP_FIXED));
        assertEquals(" [0,1)rw-p [1,3)rw-p [3,4)r--p sealed", layout(s, dd, 4));
        final long f = at(s, 40, 3, RW);
        at(s, 43, 1, PROT_READ);
        assertEquals(0, s.mseal(f + 3 * P, P, 0));
        assertEquals(EPERM, s.mremap(f, 4 * P, P, 0, 0));
        assertEquals(" [0,1)rw-p [1,3)rw-p [3,4)r--p sealed", layout(s, f, 4));
        assertEquals(List.of(), s.checkQuiet());
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void mprotect(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long m = at(s, 48, 3, RW);
        assertEquals(0, s.mseal(m + P, P, 0));
        assertEquals(EPERM, s.mprotect(m, 3 * P, PROT_READ));
        assertEquals(" [0,1)r--p [1,2)rw-p sealed [2,3)rw-p", layout(s, m, 3), "the area before it changed");
        assertEquals(EPERM, s.mprotect(m + P, 2 * P, PROT_READ | PROT_EXEC));
        assertEquals(EPERM, s.mprotect(m + P, P, RW), "the same rights too");
        assertEquals(" [0,1)r--p [1,2)rw-p sealed [2,3)rw-p", layout(s, m, 3));
        // do_mprotect_pkey's VM_MAY* check comes before mprotect_fixup's seal check: [vvar]'s EACCES
        final FileObject vvar = new FileObject("[vvar]", P, machine.frames(), FileObject.Kind.PFN);
        files.add(vvar);
        final long v = s.mmap(W + 52 * P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, vvar, 0);
        assertEquals(0, s.mseal(v, P, 0));
        assertEquals(-Errno.EACCES, s.mprotect(v, P, RW));
        assertEquals(EPERM, s.mprotect(v, P, PROT_READ));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void mremap(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final int mayMove = Mman.MREMAP_MAYMOVE;
        final int fixed = Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED;
        final long g = at(s, 56, 1, RW);
        assertEquals(0, s.mseal(g, P, 0));
        assertEquals(EPERM, s.mremap(g, P, 2 * P, 0, 0));
        assertEquals(EPERM, s.mremap(g, P, 2 * P, mayMove, 0));
        assertEquals(EPERM, s.mremap(g, P, P, fixed, g + 2 * P));
        assertEquals(EPERM, s.mremap(g, P, P, mayMove | Mman.MREMAP_DONTUNMAP, 0));
        assertEquals(EPERM, s.mremap(g, 4 * P, 4 * P, mayMove, 0), "before the old range's EFAULT");
        assertEquals(EPERM, s.mremap(g, 0, P, mayMove, 0), "before a private old_len 0's EINVAL");
        assertEquals(EINVAL, s.mremap(g, P, 0, 0, 0));
        assertEquals(EINVAL, s.mremap(g, P, P, fixed, g));
        final long h = at(s, 64, 2, RW);
        assertEquals(0, s.mseal(h, 2 * P, 0));
        assertEquals(EPERM, s.mremap(h, 2 * P, P, 0, 0));
        assertEquals(EPERM, s.mremap(h, P, P, 0, 0), "even a no-op");
        final long k = at(s, 72, 1, RW);
        store(s, k, 3);
        assertEquals(EPERM, s.mremap(k, P, P, fixed, h));
        assertEquals(EPERM, s.mremap(k, P, 2 * P, fixed, h));
        assertEquals(3, load(s, k));
        final long sh = s.mmap(W + 80 * P, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
        assertEquals(0, s.mseal(sh, 2 * P, 0));
        assertEquals(EPERM, s.mremap(sh, 0, P, mayMove, 0));
        // X (unsealed) then Y (sealed): a shrink onto Y, a no-op, a multi-area move, a FIXED shrink
        final long x = at(s, 88, 1, RW);
        at(s, 89, 1, PROT_READ);
        assertEquals(0, s.mseal(x + P, P, 0));
        store(s, x, 9);
        assertEquals(EPERM, s.mremap(x, 2 * P, P, 0, 0));
        assertEquals(x, s.mremap(x, 2 * P, 2 * P, mayMove, 0));
        assertEquals(EPERM, s.mremap(x, 2 * P, 2 * P, fixed, W + 96 * P));
        assertEquals(" [1,2)r--p sealed", layout(s, x, 2));
        assertEquals(" [0,1)rw-p", layout(s, W + 96 * P, 2), "X moved before Y refused");
        assertEquals(9, load(s, W + 96 * P));
        final long y = at(s, 104, 1, RW);
        at(s, 105, 1, PROT_READ);
        assertEquals(0, s.mseal(y, P, 0));
        assertEquals(EPERM, s.mremap(y, 2 * P, 2 * P, fixed, W + 112 * P));
        assertEquals(" [0,1)rw-p sealed [1,2)r--p", layout(s, y, 2));
        assertEquals("", layout(s, W + 112 * P, 2));
        final long z = at(s, 120, 2, RW);
        at(s, 122, 1, PROT_READ);
        assertEquals(0, s.mseal(z + 2 * P, P, 0));
        at(s, 128, 1, RW);
        assertEquals(EPERM, s.mremap(z, 3 * P, P, fixed, W + 128 * P));
        assertEquals(" [0,1)rw-p [1,2)rw-p [2,3)r--p sealed", layout(s, z, 3));
        assertEquals("", layout(s, W + 128 * P, 1), "the target went before the tail was refused");
        assertEquals(List.of(), s.checkQuiet());
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void madvise(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long r = at(s, 136, 6, RW);
        for (int i = 0; i < 4; i++) {
            store(s, r + i * P, i + 1);
        }
        assertEquals(0, s.mprotect(r + P, P, PROT_READ));
        assertEquals(0, s.mseal(r, 2 * P, 0));
        assertEquals(0, s.mseal(r + 3 * P, P, 0));
        assertEquals(" [0,1)rw-p sealed [1,2)r--p sealed [2,3)rw-p [3,4)rw-p sealed [4,6)rw-p", layout(s, r, 6));
        assertEquals(0, s.madvise(r, P, Mman.MADV_DONTNEED), "writable: the caller could zero it anyway");
        assertEquals(EPERM, s.madvise(r + P, P, Mman.MADV_DONTNEED));
        assertEquals(0, load(s, r));
        assertEquals(2, load(s, r + P));
        for (int advice : new int[] {Mman.MADV_FREE, Mman.MADV_DONTNEED_LOCKED, Mman.MADV_DONTFORK, Mman.MADV_WIPEONFORK}) {
            assertEquals(EPERM, s.madvise(r + P, P, advice), "advice " + advice);
        }
        for (int advice : new int[] {Mman.MADV_RANDOM, Mman.MADV_WILLNEED, Mman.MADV_COLD, Mman.MADV_PAGEOUT,
                Mman.MADV_POPULATE_READ, Mman.MADV_DOFORK}) {
            assertEquals(0, s.madvise(r + P, P, advice), "advice " + advice);
        }
        store(s, r, 5);
        store(s, r + 2 * P, 6);
        assertEquals(EPERM, s.madvise(r, 4 * P, Mman.MADV_DONTNEED));
        assertEquals(List.of(0L, 2L, 6L, 4L), List.of(load(s, r), load(s, r + P), load(s, r + 2 * P), load(s, r + 3 * P)),
                "the walk discarded page 0 and stopped at page 1");
        assertEquals(EPERM, s.madvise(r, 2 * P, Mman.MADV_DONTFORK));
        assertEquals(" [0,1)rw-p sealed dontfork [1,2)r--p sealed random [2,3)rw-p [3,4)rw-p sealed [4,6)rw-p",
                layout(s, r, 6));
        final long q = at(s, 144, 3, PROT_READ);
        assertEquals(0, s.mseal(q + P, P, 0));
        assertEquals(0, s.munmap(q + 2 * P, P));
        assertEquals(EPERM, s.madvise(q, 3 * P, Mman.MADV_DONTNEED), "the refusal wins over the hole's ENOMEM");
        assertEquals(ENOMEM, s.madvise(q + P, 2 * P, Mman.MADV_WILLNEED));
        final long sa = s.mmap(W + 152 * P, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
        assertEquals(0, s.mseal(sa, P, 0));
        assertEquals(0, s.madvise(sa, P, Mman.MADV_DONTNEED), "shared anonymous memory is shmem");
        final FileObject file = new FileObject("f", P, machine.frames());
        files.add(file);
        final long pf = s.mmap(W + 156 * P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, file, 0);
        assertEquals(0, s.mseal(pf, P, 0));
        assertEquals(0, s.madvise(pf, P, Mman.MADV_DONTNEED), "every file mapping is let through");
        final long n = at(s, 160, 1, PROT_NONE);
        assertEquals(0, s.mseal(n, P, 0));
        assertEquals(EPERM, s.madvise(n, P, Mman.MADV_DONTNEED));
        final long lk = s.mmap(W + 164 * P, P, PROT_READ, ANON | MAP_FIXED | MAP_LOCKED);
        assertEquals(0, s.mseal(lk, P, 0));
        assertEquals(EPERM, s.madvise(lk, P, Mman.MADV_DONTNEED), "before the locked area's EINVAL");
        assertEquals(EINVAL, s.madvise(lk, P, Mman.MADV_COLD));
        assertEquals(List.of(), s.checkQuiet());
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void brkDoesNotShrinkOverASealedHeap(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long hs = Mman.pageAlign(s.brk(0));
        assertEquals(hs + 3 * P, s.brk(hs + 3 * P));
        assertEquals(0, s.mseal(hs, P, 0));
        assertEquals(hs + 3 * P, s.brk(hs), "refused: the break stays");
        assertEquals(hs + P, s.brk(hs + P));
        assertEquals(hs + 4 * P, s.brk(hs + 4 * P));
        assertEquals(" [0,1)rw-p sealed [1,4)rw-p", layout(s, hs, 4), "the growth does not merge with the seal");
        assertEquals(hs + P, s.brk(hs + P));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void forkCopiesTheSeal(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long h = at(s, 64, 2, RW);
        store(s, h, 4);
        assertEquals(0, s.mseal(h, 2 * P, 0));
        final AddressSpace child = s.fork();
        assertNotNull(child);
        spaces.add(child);
        assertEquals(EPERM, child.munmap(h, P));
        assertEquals(" [0,2)rw-p sealed", layout(child, h, 2));
        assertEquals(4, load(child, h));
    }

    /**
     * A special mapping ([vdso]) where a seal also refuses: the target's unmap comes before the
     * refused cut of the special mapping (mremap_to, then prep_move_vma's may_split), a sealed area
     * before a [vdso] cut at the end (vms_gather_munmap_vmas), and the first cut kept either way.
     * Each case in a space of its own, as mseal.c's children.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void specialMappings(Design d, Arch arch) {
        space(d, arch);
        final FileObject vd = new FileObject("[vdso]", 2 * P, machine.frames(), FileObject.Kind.SPECIAL);
        files.add(vd);
        final long v = W + 210 * P;
        final int fixed = Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED;
        AddressSpace s = withVdso(d, arch, vd);
        long t = at(s, 220, 1, RW);
        assertEquals(0, s.mseal(t, P, 0));
        assertEquals(EPERM, s.mremap(v + P, P, P, fixed, t), "the sealed target is refused before the cut");
        assertEquals(" [0,2)r-xp", layout(s, v, 2));
        assertEquals(" [0,1)rw-p sealed", layout(s, t, 1));
        s = withVdso(d, arch, vd);
        t = at(s, 220, 1, RW);
        assertEquals(EINVAL, s.mremap(v + P, P, P, fixed, t));
        assertEquals("", layout(s, t, 1), "the target was unmapped before the cut was refused");
        s = withVdso(d, arch, vd);
        t = at(s, 220, 1, RW);
        assertEquals(EINVAL, s.mremap(v, P, P, fixed, t));
        assertEquals("", layout(s, t, 1));
        s = withVdso(d, arch, vd);
        at(s, 212, 1, RW);
        t = at(s, 220, 1, RW);
        assertEquals(EINVAL, s.mremap(v + P, 2 * P, P, fixed, t), "a FIXED shrink of part of [vdso]");
        assertEquals(" [0,2)r-xp", layout(s, v, 3), "its tail went before the cut was refused");
        assertEquals("", layout(s, t, 1));
        s = withVdso(d, arch, vd);
        long x = at(s, 207, 2, RW);
        at(s, 209, 1, PROT_READ);
        assertEquals(0, s.mseal(x + 2 * P, P, 0));
        t = at(s, 220, 1, RW);
        assertEquals(EPERM, s.mremap(x, 4 * P, P, fixed, t), "the sealed area before the [vdso] cut");
        assertEquals(" [0,1)rw-p [1,2)rw-p [2,3)r--p sealed [3,5)r-xp", layout(s, x, 5));
        assertEquals("", layout(s, t, 1));
        s = withVdso(d, arch, vd);
        x = at(s, 207, 3, RW);
        assertEquals(EINVAL, s.munmap(x + P, 3 * P));
        assertEquals(" [0,1)rw-p [1,3)rw-p [3,5)r-xp", layout(s, x, 5), "the first cut stays");
        assertEquals(EINVAL, s.mmap(x + P, 3 * P, PROT_READ, ANON | MAP_FIXED));
        assertEquals(" [0,1)rw-p [1,3)rw-p [3,5)r-xp", layout(s, x, 5));
        s = withVdso(d, arch, vd);
        long a = at(s, 205, 1, RW);
        store(s, a, 4);
        assertEquals(0, s.mseal(at(s, 208, 1, PROT_READ), P, 0));
        assertEquals(EPERM, s.mremap(a, 6 * P, 6 * P, fixed, W + 230 * P));
        assertEquals(" [3,4)r--p sealed [5,7)r-xp", layout(s, a, 7));
        assertEquals(" [0,1)rw-p", layout(s, W + 230 * P, 7));
        assertEquals(4, load(s, W + 230 * P));
        s = withVdso(d, arch, vd);
        a = at(s, 205, 1, RW);
        store(s, a, 4);
        assertEquals(EINVAL, s.mremap(a, 6 * P, 6 * P, fixed, W + 230 * P), "A moves, then the [vdso] cut is refused");
        assertEquals(" [5,7)r-xp", layout(s, a, 7));
        assertEquals(" [0,1)rw-p", layout(s, W + 230 * P, 7));
        s = withVdso(d, arch, vd);
        t = at(s, 230, 1, RW);
        assertEquals(0, s.mseal(t, P, 0));
        at(s, 212, 2, RW);
        assertEquals(EPERM, s.mremap(v + P, 3 * P, 3 * P, fixed, t), "from inside [vdso] onto a sealed target");
        assertEquals(" [0,2)r-xp [2,4)rw-p", layout(s, v, 4));
        s = withVdso(d, arch, vd);
        assertEquals(EINVAL, s.mseal(v, P, 0), "a cut of [vdso]");
        assertEquals(0, s.mseal(v, 2 * P, 0));
        assertEquals(0, s.madvise(v, P, Mman.MADV_DONTNEED), "not anonymous memory");
        assertEquals(EINVAL, s.madvise(v, P, Mman.MADV_DONTFORK));
        for (AddressSpace o : spaces) {
            assertEquals(List.of(), o.checkQuiet());
        }
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void theMapCountLimit(Design d, Arch arch) {
        final int max = 64;
        final AddressSpace s = space(d, arch, SpaceConfig.defaults(arch).withMaxMapCount(max));
        final long one = at(s, 200, 1, PROT_READ);
        final long three = at(s, 201, 3, RW);
        final long big = s.mmap(W + 256 * P, 2L * max * P, PROT_NONE, ANON | MAP_FIXED);
        for (long i = 1; s.areas().size() < max; i += 2) {
            assertEquals(0, s.mprotect(big + i * P, P, PROT_READ));
        }
        assertEquals(ENOMEM, s.mseal(three + P, P, 0));
        assertEquals(ENOMEM, s.mseal(three, P, 0));
        assertEquals(ENOMEM, s.mseal(one, 2 * P, 0), "one is sealed, then three's cut is refused");
        assertEquals(" [0,1)r--p sealed [1,4)rw-p", layout(s, one, 4));
        assertEquals(0, s.mseal(three, 3 * P, 0), "a whole area needs no cut");
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void taggedAddresses(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long a = at(s, 0, 2, RW);
        final long tagged = a | 0x5AL << 56;
        // arm64 untags (TBI); on x86 the tagged address is past TASK_SIZE: a hole
        assertEquals(arch == Arch.ARM64 ? 0 : ENOMEM, s.mseal(tagged, P, 0));
        assertEquals(arch == Arch.ARM64 ? " [0,1)rw-p sealed [1,2)rw-p" : " [0,2)rw-p", layout(s, a, 2));
    }
}
