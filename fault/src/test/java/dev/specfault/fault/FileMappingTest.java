package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_POPULATE;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_NONE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** File-backed and shared mappings against Linux 6.x (memfd / shmem, checked on 6.18 here), every design. */
class FileMappingTest extends OneCpuSpaceTest {
    static final int RW = PROT_READ | PROT_WRITE;
    static final long A = 0x10000000L;
    static final long B = 0x20000000L;
    static final long C = 0x30000000L;

    static Stream<Arguments> spaces() {
        return ContractDesigns.spaces();
    }

    private long baseline;

    private AddressSpace space(Design d, Arch arch) {
        return space(d, arch, java.util.Set.of());
    }

    private AddressSpace space(Design d, Arch arch, java.util.Set<FaultBug> bugs) {
        machine = Machine.builder(arch).frameLimit(4096).cpus(2).build();
        cpu = machine.cpu(0);
        cpu.bind();
        baseline = machine.frames().inUse();
        return Spaces.create(new SpaceOptions(d, machine).name("t").config(SpaceConfig.defaults(arch))
                .bugs(bugs).driver(GracePeriodDriver.inline()));
    }

    /**
     * A private page read, then written: the write copies the page. Returns what the file, and a
     * shared mapping of it, hold afterwards (both must be the file's own 7).
     */
    private long[] privateReadThenWrite(AddressSpace s) {
        final FileObject f = new FileObject("f", PAGE_SIZE, machine.frames());
        f.writeWord(0, 7);
        assertEquals(A, s.mmap(A, PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0));
        assertEquals(B, s.mmap(B, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, f, 0));
        assertEquals(7, load(s, A)); // the page cache's page, mapped read-only
        store(s, A, 8); // the copy-on-write break
        assertEquals(8, load(s, A));
        final long[] r = {f.readWord(0), load(s, B)};
        s.exit();
        f.close();
        s.quiesce();
        return r;
    }

    /** P4: a private store never reaches the file, also when a read fault mapped the file's page first. */
    @ParameterizedTest
    @MethodSource("spaces")
    void privateWriteAfterReadCopies(Design d, Arch arch) {
        assertArrayEquals(new long[] {7, 7}, privateReadThenWrite(space(d, arch)));
        assertEquals(baseline, machine.frames().inUse(), "leak");
    }

    /** The seeded bug private-write-to-page-cache (Dirty COW's outcome) is caught by the same scenario. */
    @ParameterizedTest
    @MethodSource("spaces")
    void seededPrivateWriteToPageCacheIsCaught(Design d, Arch arch) {
        final long[] r = privateReadThenWrite(space(d, arch, java.util.Set.of(FaultBug.PRIVATE_WRITE_TO_PAGE_CACHE)));
        assertArrayEquals(new long[] {8, 8}, r, "the private store reached the file and its shared mapping");
    }


    /** memfd: private read sees shared stores until its own write; DONTNEED shows the file again. */
    @ParameterizedTest
    @MethodSource("spaces")
    void privateSeesSharedUntilItsWrite(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 2 * PAGE_SIZE, machine.frames());
        assertEquals(A, s.mmap(A, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, 0));
        assertEquals(B, s.mmap(B, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0));
        store(s, A, 1);
        assertEquals(1, load(s, B));
        store(s, A, 2);
        assertEquals(2, load(s, B));
        assertEquals(0, s.mprotect(B, 2 * PAGE_SIZE, RW));
        store(s, B, 5);
        assertEquals(2, load(s, A), "a private write reached the file");
        assertEquals(2, f.readWord(0));
        store(s, A, 3);
        assertEquals(5, load(s, B));
        assertEquals(0, s.madvise(B, PAGE_SIZE, Mman.MADV_DONTNEED));
        assertEquals(3, load(s, B));
        store(s, A, 4);
        assertEquals(4, load(s, B));
        // The second page: read, then written after the shared store.
        store(s, A + PAGE_SIZE, 7);
        assertEquals(7, load(s, B + PAGE_SIZE));
        store(s, B + PAGE_SIZE + 8, 9);
        assertEquals(7, load(s, B + PAGE_SIZE));
        store(s, A + PAGE_SIZE, 8);
        assertEquals(7, load(s, B + PAGE_SIZE));
        assertEquals(0L, f.readWord(PAGE_SIZE + 8));
        assertEquals(List.of(), s.checkQuiet());
        s.exit();
        f.close();
        s.quiesce();
        assertEquals(baseline, machine.frames().inUse(), "leak");
    }

    /** Across spaces and fork: shared stores seen everywhere; a child's private file page too. */
    @ParameterizedTest
    @MethodSource("spaces")
    void sharedAcrossForkAndPrivateFileInChild(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 4 * PAGE_SIZE, machine.frames());
        assertEquals(A, s.mmap(A, 4 * PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, 0));
        assertEquals(B, s.mmap(B, 4 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0));
        assertEquals(C, s.mmap(C, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED));
        store(s, A, 1);
        assertEquals(1, load(s, B)); // read-only from the cache
        store(s, B + PAGE_SIZE, 11); // COW before fork
        store(s, C, 21);
        final AddressSpace c = s.fork();
        assertNotNull(c);
        store(s, A, 2);
        assertEquals(2, load(c, A));
        assertEquals(2, load(c, B), "child's private read-only page sees the file");
        assertEquals(2, load(s, B));
        assertEquals(11, load(c, B + PAGE_SIZE));
        store(c, B + PAGE_SIZE, 12);
        assertEquals(11, load(s, B + PAGE_SIZE));
        store(s, B + PAGE_SIZE, 13);
        assertEquals(12, load(c, B + PAGE_SIZE));
        assertEquals(21, load(c, C));
        store(c, C + 8, 22);
        assertEquals(22, load(s, C + 8));
        store(c, C + PAGE_SIZE, 23);
        assertEquals(23, load(s, C + PAGE_SIZE));
        store(c, B, 30); // child COW
        assertEquals(2, load(s, B));
        assertEquals(2, load(s, A));
        store(s, A, 3);
        assertEquals(30, load(c, B));
        assertEquals(3, load(s, B));
        // DONTNEED in the child of a page COW'd before fork
        assertEquals(0, c.madvise(B + PAGE_SIZE, PAGE_SIZE, Mman.MADV_DONTNEED));
        assertEquals(0, load(c, B + PAGE_SIZE));
        assertEquals(13, load(s, B + PAGE_SIZE));
        assertEquals(List.of(), s.checkQuiet());
        assertEquals(List.of(), c.checkQuiet());
        c.exit();
        s.exit();
        f.close();
        s.quiesce();
        c.quiesce();
        assertEquals(baseline, machine.frames().inUse(), "leak");
    }

    /** mprotect RO -> RW: private COWs, shared writes through. PROT_NONE -> RW too. */
    @ParameterizedTest
    @MethodSource("spaces")
    void mprotectOfFileMappings(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 2 * PAGE_SIZE, machine.frames());
        f.writeWord(0, 1);
        assertEquals(A, s.mmap(A, 2 * PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, f, 0));
        assertEquals(B, s.mmap(B, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0));
        assertEquals(1, load(s, A));
        assertEquals(1, load(s, B));
        assertEquals(AccessResult.SIGSEGV, s.store(cpu, B, 3));
        assertEquals(0, s.mprotect(B, 2 * PAGE_SIZE, RW));
        store(s, B, 3);
        assertEquals(1, f.readWord(0));
        assertEquals(0, s.mprotect(A, 2 * PAGE_SIZE, RW));
        store(s, A, 4);
        assertEquals(4, f.readWord(0));
        assertEquals(3, load(s, B));
        // PROT_NONE round trip of a read page then a write.
        assertEquals(0, load(s, B + PAGE_SIZE));
        assertEquals(0, s.mprotect(B + PAGE_SIZE, PAGE_SIZE, PROT_NONE));
        assertEquals(0, s.mprotect(B + PAGE_SIZE, PAGE_SIZE, RW));
        store(s, B + PAGE_SIZE, 6);
        assertEquals(0L, f.readWord(PAGE_SIZE));
        store(s, A + PAGE_SIZE, 7);
        assertEquals(6, load(s, B + PAGE_SIZE));
        assertEquals(List.of(), s.checkQuiet());
        f.close();
    }

    /** pgoff after splits, partial unmaps, mremap moves and merges; SIGBUS only past the end. */
    @ParameterizedTest
    @MethodSource("spaces")
    void pgoffArithmetic(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 6 * PAGE_SIZE + 16, machine.frames());
        for (int i = 0; i < 7; i++) {
            f.writeWord((long) i * PAGE_SIZE, 100 + i);
        }
        // Map pages 1..6 of the file at A (8 pages: 7th is page 7 = past the end).
        assertEquals(A, s.mmap(A, 8 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, PAGE_SIZE));
        assertEquals(101, load(s, A));
        assertEquals(106, load(s, A + 5 * PAGE_SIZE));
        assertEquals(0, load(s, A + 5 * PAGE_SIZE + 8));
        assertEquals(AccessResult.SIGBUS, s.load(cpu, A + 6 * PAGE_SIZE));
        store(s, A + PAGE_SIZE, 52); // COW of page 2
        assertEquals(0, s.mprotect(A + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ)); // split
        assertEquals(103, load(s, A + 2 * PAGE_SIZE));
        assertEquals(104, load(s, A + 3 * PAGE_SIZE));
        // Move the tail [A+3p, A+6p) (pages 4..6) to C.
        assertEquals(C, s.mremap(A + 3 * PAGE_SIZE, 3 * PAGE_SIZE, 3 * PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, C));
        assertEquals(104, load(s, C));
        assertEquals(105, load(s, C + PAGE_SIZE));
        assertEquals(106, load(s, C + 2 * PAGE_SIZE));
        // Move the COW'd page to B, then grow it in place: the new pages continue the file.
        assertEquals(B, s.mremap(A + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, B));
        assertEquals(52, load(s, B));
        assertEquals(B, s.mremap(B, PAGE_SIZE, 3 * PAGE_SIZE, 0, 0));
        assertEquals(52, load(s, B));
        assertEquals(103, load(s, B + PAGE_SIZE));
        assertEquals(104, load(s, B + 2 * PAGE_SIZE));
        // Map file page 0 right before the area at A: merges (pgoff contiguous), reads page 0.
        assertEquals(A - PAGE_SIZE, s.mmap(A - PAGE_SIZE, PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0));
        assertEquals(100, load(s, A - PAGE_SIZE));
        assertEquals(101, load(s, A));
        // Grow the tail area past the file's end: SIGBUS there.
        assertEquals(C, s.mremap(C, 3 * PAGE_SIZE, 4 * PAGE_SIZE, 0, 0));
        assertEquals(AccessResult.SIGBUS, s.load(cpu, C + 3 * PAGE_SIZE));
        assertEquals(List.of(), s.checkQuiet());
        f.close();
    }

    /** Shared anonymous memory grown by mremap: past its shmem file's size is SIGBUS (6.18 here). */
    @ParameterizedTest
    @MethodSource("spaces")
    void sharedAnonGrownIsSigbus(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        assertEquals(A, s.mmap(A, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED));
        store(s, A, 1);
        assertEquals(A, s.mremap(A, PAGE_SIZE, 3 * PAGE_SIZE, 0, 0));
        assertEquals(1, load(s, A));
        assertEquals(AccessResult.SIGBUS, s.load(cpu, A + PAGE_SIZE));
        final AddressSpace c = s.fork();
        store(c, A + 8, 2);
        assertEquals(2, load(s, A + 8));
        // a moved shared anonymous mapping keeps its object
        assertEquals(B, s.mremap(A, 3 * PAGE_SIZE, 3 * PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, B));
        store(c, A + 16, 3);
        assertEquals(3, load(s, B + 16));
        assertEquals(List.of(), s.checkQuiet());
    }

    /** MAP_POPULATE of a private writable file mapping breaks COW at once (populate with FOLL_WRITE). */
    @ParameterizedTest
    @MethodSource("spaces")
    void populatePrivateWritableBreaksCow(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", PAGE_SIZE, machine.frames());
        assertEquals(A, s.mmap(A, PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, 0));
        assertEquals(B, s.mmap(B, PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, f, 0));
        store(s, A, 1);
        assertEquals(0, load(s, B));
        assertEquals(C, s.mmap(C, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, f, 0));
        store(s, A, 2);
        assertEquals(2, load(s, C));
        f.close();
    }

    /** DONTUNMAP of a private file mapping: the old range reads the file again. */
    @ParameterizedTest
    @MethodSource("spaces")
    void dontunmapPrivateFile(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 2 * PAGE_SIZE, machine.frames());
        assertEquals(A, s.mmap(A, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, 0));
        assertEquals(B, s.mmap(B, 2 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0));
        store(s, A, 1);
        store(s, B, 5);
        assertEquals(5, load(s, B));
        assertEquals(C, s.mremap(B, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP, C));
        assertEquals(5, load(s, C));
        assertEquals(1, load(s, B));
        store(s, A, 2);
        assertEquals(2, load(s, B));
        assertEquals(5, load(s, C));
        store(s, B, 9);
        assertEquals(2, f.readWord(0));
        assertEquals(List.of(), s.checkQuiet());
        f.close();
    }

    /** A moved COW'd page dropped by MADV_DONTNEED shows the file page its pgoff names. */
    @ParameterizedTest
    @MethodSource("spaces")
    void movedCowPageDontneedShowsItsFilePage(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 4 * PAGE_SIZE, machine.frames());
        for (int i = 0; i < 4; i++) {
            f.writeWord((long) i * PAGE_SIZE, 100 + i);
        }
        assertEquals(A, s.mmap(A, 4 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0));
        store(s, A + 2 * PAGE_SIZE, 52);
        store(s, A + 3 * PAGE_SIZE, 53);
        assertEquals(B, s.mremap(A + 2 * PAGE_SIZE, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, B));
        final AddressSpace c = s.fork();
        assertEquals(0, s.madvise(B, PAGE_SIZE, Mman.MADV_DONTNEED));
        assertEquals(102, load(s, B));
        assertEquals(53, load(s, B + PAGE_SIZE));
        assertEquals(52, load(c, B));
        assertEquals(0, c.madvise(B + PAGE_SIZE, PAGE_SIZE, Mman.MADV_DONTNEED));
        assertEquals(103, load(c, B + PAGE_SIZE));
        assertEquals(53, load(s, B + PAGE_SIZE));
        // Move it back next to its origin: contiguous pgoff, one area again (as Linux merges it).
        assertEquals(A + 2 * PAGE_SIZE, s.mremap(B, 2 * PAGE_SIZE, 2 * PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, A + 2 * PAGE_SIZE));
        assertEquals(102, load(s, A + 2 * PAGE_SIZE));
        assertEquals(53, load(s, A + 3 * PAGE_SIZE));
        assertEquals(List.of(), s.checkQuiet());
        assertEquals(List.of(), c.checkQuiet());
    }

    /** Growing a file mapping in place up to the next mapping of the same file at the right pgoff merges them. */
    @ParameterizedTest
    @MethodSource("spaces")
    void growInPlaceMergesWithTheNextMappingOfTheFile(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 8 * PAGE_SIZE, machine.frames());
        assertEquals(A, s.mmap(A, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, 0));
        assertEquals(A + 3 * PAGE_SIZE, s.mmap(A + 3 * PAGE_SIZE, 2 * PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f,
                3 * PAGE_SIZE));
        assertEquals(A, s.mremap(A, 2 * PAGE_SIZE, 3 * PAGE_SIZE, 0, 0));
        assertEquals(1, s.areas().stream().filter(a -> a.start() < A + 5 * PAGE_SIZE && a.end() > A).count(),
                s::procMaps);
        // An identical FIXED mapping in the middle of one keeps it one area.
        assertEquals(A + PAGE_SIZE, s.mmap(A + PAGE_SIZE, PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, PAGE_SIZE));
        assertEquals(1, s.areas().stream().filter(a -> a.start() < A + 5 * PAGE_SIZE && a.end() > A).count(),
                s::procMaps);
        store(s, A + 4 * PAGE_SIZE, 9);
        assertEquals(9, f.readWord(4 * PAGE_SIZE));
    }

    /**
     * do_mmap / file_mmap_ok: an offset whose page plus the length passes the file's maximum size
     * (MAX_LFS_FILESIZE for memfd) is EOVERFLOW (75). Checked on 6.18 with memfd_create: offsets
     * 0x7ffffffffffff000 and 0xfffffffffffff000 for 2 pages are EOVERFLOW, 0x7fffffff00000000 maps.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void mmapOffsetOverflowIsEoverflow(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = new FileObject("f", 2 * PAGE_SIZE, machine.frames());
        assertEquals(-Errno.EOVERFLOW, s.mmap(0, 2 * PAGE_SIZE, PROT_READ, MAP_SHARED, f, 0x7ffffffffffff000L));
        assertEquals(-Errno.EOVERFLOW, s.mmap(0, 2 * PAGE_SIZE, PROT_READ, MAP_SHARED, f, -PAGE_SIZE));
        f.close();
    }
}
