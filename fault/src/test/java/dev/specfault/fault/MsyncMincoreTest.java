package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.MLOCK_ONFAULT;
import static dev.specfault.fault.Mman.MS_ASYNC;
import static dev.specfault.fault.Mman.MS_INVALIDATE;
import static dev.specfault.fault.Mman.MS_SYNC;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_EXEC;
import static dev.specfault.fault.Mman.PROT_NONE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.Arch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * msync and mincore, case for case as docs/linux/msync.c ran on this machine's kernel (6.18; its
 * output is docs/linux/msync.out): the same calls at the same page offsets of an empty window, the
 * same results, and mincore's vector where the emulator's memory is the kernel's. On every design
 * and both architectures. Not here: a vector pointer into the kernel's half (EFAULT before the
 * range's holes; the API takes a Java array), and the pages the kernel's readahead brings in (see
 * {@link #residencyOfFiles}).
 */
class MsyncMincoreTest extends OneCpuSpaceTest {
    static final long P = PAGE_SIZE;
    static final int RW = PROT_READ | PROT_WRITE;
    /** The window: 1024 pages with nothing mapped. */
    static final long W = 0x1000_0000L;
    private static final long EINVAL = -Errno.EINVAL;
    private static final long ENOMEM = -Errno.ENOMEM;
    private static final long EBUSY = -Errno.EBUSY;
    private static final long EFAULT = -Errno.EFAULT;

    static Stream<Arguments> spaces() {
        return ContractDesigns.spaces();
    }

    private final List<AddressSpace> spaces = new ArrayList<>();
    private final List<FileObject> files = new ArrayList<>();
    private AddressSpace s;
    private final byte[] v = new byte[64];

    private AddressSpace space(Design d, Arch arch) {
        s = newSpace(d, arch, SpaceConfig.defaults(arch), 1024);
        spaces.add(s);
        return s;
    }

    @AfterEach
    void exit() {
        for (AddressSpace x : spaces) {
            x.exit();
            x.quiesce();
        }
        files.forEach(FileObject::close);
        if (machine != null) {
            assertEquals(baseline, machine.frames().inUse(), "frames in use after the spaces exited");
        }
    }

    private FileObject file(String name, long size, FileObject.Kind kind) {
        final FileObject f = new FileObject(name, size, machine.frames(), kind);
        files.add(f);
        return f;
    }

    /** msync.c's at(). */
    private long at(int page, int n, int prot) {
        final long a = s.mmap(W + page * P, n * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
        assertEquals(W + page * P, a);
        return a;
    }

    /** msync.c's vec(n), after memset(v, 9, ...) where it did one. */
    private String vec(int n) {
        return IntStream.range(0, n).mapToObj(i -> Integer.toString(v[i])).collect(Collectors.joining(" "));
    }

    private long mincore(long addr, long len) {
        Arrays.fill(v, (byte) 9);
        return s.mincore(addr, len, v);
    }

    /** [0,4) rw, a hole [4,6), [6,8) rw, [8,10) none, as msync.c's first layout. */
    private long firstLayout() {
        final long a = at(0, 4, RW);
        at(6, 2, RW);
        at(8, 2, PROT_NONE);
        return a;
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void msyncArguments(Design d, Arch arch) {
        space(d, arch);
        final long a = firstLayout();
        assertEquals(EINVAL, s.msync(a, P, 0x8));
        assertEquals(EINVAL, s.msync(a, P, MS_ASYNC | MS_SYNC));
        assertEquals(EINVAL, s.msync(a + 1, P, MS_SYNC));
        assertEquals(0, s.msync(a, 0, MS_SYNC));
        assertEquals(EINVAL, s.msync(a + 1, 0, MS_SYNC));
        assertEquals(EINVAL, s.msync(a, 0, 0x8));
        assertEquals(ENOMEM, s.msync(a, -P * 2, MS_SYNC));
        assertEquals(0, s.msync(a, -1L, MS_ASYNC), "the length rounds up to 0");
        assertEquals(0, s.msync(a, 1, MS_SYNC));
        for (int f : new int[] {0, MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_ASYNC | MS_INVALIDATE, MS_SYNC | MS_INVALIDATE}) {
            assertEquals(0, s.msync(a, 4 * P, f), "flags " + f);
        }
        assertEquals(0, s.msync(a + 8 * P, 2 * P, MS_SYNC), "PROT_NONE memory");
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void msyncHoles(Design d, Arch arch) {
        space(d, arch);
        final long a = firstLayout();
        assertEquals(ENOMEM, s.msync(a, 6 * P, MS_ASYNC));
        for (int f : new int[] {MS_ASYNC, MS_SYNC, 0}) {
            assertEquals(ENOMEM, s.msync(a, 8 * P, f));
            assertEquals(ENOMEM, s.msync(a + 4 * P, 4 * P, f));
        }
        assertEquals(ENOMEM, s.msync(a + 4 * P, 4 * P, MS_ASYNC | MS_INVALIDATE));
        assertEquals(ENOMEM, s.msync(a + 4 * P, 2 * P, MS_SYNC));
        assertEquals(ENOMEM, s.msync(a + 10 * P, 2 * P, MS_SYNC));
        assertEquals(ENOMEM, s.msync(a + 8 * P, 4 * P, MS_SYNC), "a hole after the last area");
        final long top = s.config().taskSize();
        assertEquals(ENOMEM, s.msync(top, P, MS_SYNC));
        assertEquals(ENOMEM, s.msync(-P, P, MS_SYNC));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void msyncLockedAreas(Design d, Arch arch) {
        space(d, arch);
        final long l = at(20, 4, RW);
        assertEquals(0, s.mlock(l + 2 * P, P, 0));
        assertEquals(0, s.msync(l, 4 * P, MS_SYNC));
        assertEquals(EBUSY, s.msync(l, 4 * P, MS_INVALIDATE));
        assertEquals(0, s.msync(l, 2 * P, MS_INVALIDATE));
        assertEquals(EBUSY, s.msync(l + 2 * P, P, MS_ASYNC | MS_INVALIDATE));
        assertEquals(EBUSY, s.msync(l - 2 * P, 6 * P, MS_INVALIDATE), "EBUSY before the hole's ENOMEM");
        assertEquals(ENOMEM, s.msync(l - 2 * P, 6 * P, MS_ASYNC), "MS_ASYNC stops at the hole");
        assertEquals(EBUSY, s.msync(l, 8 * P, MS_INVALIDATE));
        assertEquals(ENOMEM, s.msync(l + 3 * P, 3 * P, MS_INVALIDATE));
        assertEquals(0, s.mlock(l + 3 * P, P, MLOCK_ONFAULT));
        assertEquals(EBUSY, s.msync(l + 3 * P, P, MS_SYNC | MS_INVALIDATE), "MLOCK_ONFAULT locks too");
        assertEquals(0, s.munlock(l, 4 * P));
        assertEquals(0, s.msync(l, 4 * P, MS_INVALIDATE));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void msyncFilesAndSpecialMappings(Design d, Arch arch) {
        space(d, arch);
        final FileObject file = file("/tmp/msync-file", 3 * P, FileObject.Kind.FILE);
        final long f = s.mmap(W + 30 * P, 4 * P, RW, MAP_SHARED | MAP_FIXED, file, 0);
        assertEquals(W + 30 * P, f);
        assertEquals(0, s.msync(f, 4 * P, MS_SYNC), "a page past the end is still mapped");
        assertEquals(ENOMEM, s.msync(f, 6 * P, MS_SYNC));
        assertEquals(0, s.msync(f + 3 * P, P, MS_SYNC | MS_INVALIDATE));
        final long fp = s.mmap(W + 36 * P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, file, 0);
        assertEquals(0, s.msync(fp, 2 * P, MS_SYNC));
        final long vdso = W + 210 * P;
        assertEquals(vdso, s.mmap(vdso, 2 * P, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
                file("[vdso]", 2 * P, FileObject.Kind.SPECIAL), 0));
        assertEquals(vdso - 4 * P, s.mmap(vdso - 4 * P, 4 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                file("[vvar]", 4 * P, FileObject.Kind.PFN), 0));
        assertEquals(0, s.msync(vdso, P, MS_SYNC | MS_INVALIDATE));
        assertEquals(0, s.msync(vdso - 4 * P, 4 * P, MS_SYNC));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void mincoreArguments(Design d, Arch arch) {
        space(d, arch);
        final long a = firstLayout();
        assertEquals(EINVAL, s.mincore(a + 1, P, v));
        assertEquals(0, s.mincore(a, 0, v));
        assertEquals(EINVAL, s.mincore(a + 1, 0, v));
        assertEquals(ENOMEM, s.mincore(a, -P, v), "the range wraps");
        assertEquals(EFAULT, s.mincore(a, P, null), "a buffer it cannot write");
        assertEquals(ENOMEM, s.mincore(a + 4 * P, P, null), "the hole first");
        assertEquals(EFAULT, s.mincore(a, 4 * P, new byte[3]), "a buffer too short");
        assertEquals(0, s.mincore(a, 1, v));
        final long top = s.config().taskSize();
        assertEquals(ENOMEM, s.mincore(top - P, 2 * P, v));
        assertEquals(ENOMEM, s.mincore(top, P, v));
        assertEquals(0, s.mincore(top, 0, v), "len 0 at the top of user space");
        assertEquals(ENOMEM, s.mincore(top + P, 0, v), "len 0 above it");
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void residencyOfAnonymousMemory(Design d, Arch arch) {
        space(d, arch);
        final long a = firstLayout();
        assertEquals(0, mincore(a, 4 * P));
        assertEquals("0 0 0 0 9", vec(5));
        assertEquals(0, s.store(cpu, a + P, 1));
        assertEquals(0, s.store(cpu, a + 3 * P, 1));
        assertEquals(0, mincore(a, 4 * P));
        assertEquals("0 1 0 1 9", vec(5));
        assertEquals(ENOMEM, mincore(a, 6 * P));
        assertEquals("0 1 0 1 9 9 9", vec(7), "the area before the hole is reported");
        assertEquals(ENOMEM, mincore(a + 4 * P, 4 * P));
        assertEquals("9 9 9 9 9", vec(5));
        assertEquals(0, mincore(a + 6 * P, 4 * P));
        assertEquals("0 0 0 0 9", vec(5));
        assertEquals(0, s.store(cpu, a + 6 * P, 1));
        assertEquals(0, s.mprotect(a + 6 * P, P, PROT_NONE));
        assertEquals(0, mincore(a + 6 * P, 4 * P));
        assertEquals("1 0 0 0 9", vec(5), "PROT_NONE memory is in memory");
        assertEquals(0, s.madvise(a, 4 * P, Mman.MADV_DONTNEED));
        assertEquals(0, mincore(a, 4 * P));
        assertEquals("0 0 0 0 9", vec(5));
        final long l = at(20, 4, RW);
        assertEquals(0, s.mlock(l + 2 * P, P, 0));
        assertEquals(0, s.mlock(l, P, 0));
        assertEquals(0, mincore(l, 4 * P));
        assertEquals("1 0 1 0 9", vec(5), "mlock faults in");
        assertEquals(0, s.mlock(l + P, P, MLOCK_ONFAULT));
        assertEquals(0, mincore(l, 4 * P));
        assertEquals("1 0 1 0 9", vec(5), "MLOCK_ONFAULT does not");
        final long sh = s.mmap(W + 40 * P, 3 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
        assertEquals(0, s.store(cpu, sh, 1));
        assertEquals(0, mincore(sh, 3 * P));
        assertEquals("1 0 0 9", vec(4));
    }

    /** A fork's child: the parent's pages are in memory there too (Linux copies their PTEs). */
    @ParameterizedTest
    @MethodSource("spaces")
    void residencyInAForksChild(Design d, Arch arch) {
        space(d, arch);
        final long a = at(0, 4, RW);
        assertEquals(0, s.store(cpu, a + P, 1));
        assertEquals(0, s.store(cpu, a + 2 * P, 1));
        final AddressSpace child = s.fork();
        spaces.add(child);
        Arrays.fill(v, (byte) 9);
        assertEquals(0, child.mincore(a, 4 * P, v));
        assertEquals("0 1 1 0 9", vec(5));
        assertEquals(0, child.madvise(a + P, P, Mman.MADV_DONTNEED));
        Arrays.fill(v, (byte) 9);
        assertEquals(0, child.mincore(a, 4 * P, v));
        assertEquals("0 0 1 0 9", vec(5));
        assertEquals(0, mincore(a, 4 * P));
        assertEquals("0 1 1 0 9", vec(5), "the parent keeps its page");
    }

    /**
     * Files: a page is in memory when its page cache has it. The kernel's readahead brought more in
     * than the emulator does: after a read fault at page 2 of a 4-page file msync.c shows
     * {@code 1 1 1 1 0 0} where the emulator shows pages 1 (written) and 2 (read) only.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void residencyOfFiles(Design d, Arch arch) {
        space(d, arch);
        final FileObject file = file("/tmp/msync-file2", 3 * P + 100, FileObject.Kind.FILE);
        final long g = s.mmap(W + 50 * P, 6 * P, PROT_READ, MAP_SHARED | MAP_FIXED, file, 0);
        assertEquals(W + 50 * P, g);
        assertEquals(0, mincore(g, 6 * P));
        assertEquals("0 0 0 0 0 0 9", vec(7));
        assertEquals(0, file.pwrite(P, 7));
        assertEquals(0, mincore(g, 6 * P));
        assertEquals("0 1 0 0 0 0 9", vec(7));
        assertEquals(0, s.load(cpu, g + 2 * P));
        assertEquals(0, mincore(g, 6 * P));
        assertEquals("0 1 1 0 0 0 9", vec(7), "the kernel's readahead: 1 1 1 1 0 0");
        final long gp = s.mmap(W + 60 * P, 4 * P, RW, MAP_PRIVATE | MAP_FIXED, file, 0);
        assertEquals(0, mincore(gp, 4 * P));
        assertEquals("0 1 1 0 9", vec(5));
        assertEquals(0, s.store(cpu, gp + 3 * P, 1));
        assertEquals(0, mincore(gp, 4 * P));
        // the store's fault read the file's page 3 into its cache before copying it: both count (the
        // locked design's copy with no PTE: LockedScenarioTest.mincoreOfPagedOutAnons)
        assertEquals("0 1 1 1 9", vec(5));
        final long vdso = W + 210 * P;
        assertEquals(vdso, s.mmap(vdso, 2 * P, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
                file("[vdso]", 2 * P, FileObject.Kind.SPECIAL), 0));
        assertEquals(vdso - 4 * P, s.mmap(vdso - 4 * P, 4 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED,
                file("[vvar]", 4 * P, FileObject.Kind.PFN), 0));
        assertEquals(0, mincore(vdso, P));
        assertEquals("1 9", vec(2), "a special mapping: always");
        assertEquals(0, mincore(vdso - 4 * P, 4 * P));
        assertEquals("1 1 1 1 9", vec(5));
    }
}
