package dev.specfault.fault.check;

import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;

/**
 * P8 for file mappings, by Lincheck, against {@link FileSpaceModel}: a memfd-like file of
 * {@link #FILE_PAGES} pages mapped into the window, shared or private, at any offset (so that two
 * pages of the window can be the same page of the file), with mmap, munmap, mprotect, madvise
 * (MADV_DONTNEED), mremap of one page (and with MREMAP_DONTUNMAP), load and store, and
 * {@code pread}/{@code pwrite}/{@code ftruncate} of the file itself beside them.
 * What it checks beyond {@link SpaceLinearizability}:
 * <ul>
 *   <li>a store through a shared mapping is the file's: pread and every other mapping of that page
 *   see it at once;</li>
 *   <li>a private mapping shows the file (and the file's later writes) until its own first store,
 *   which copies the page; the copy is never the file's (Dirty COW's outcome is a violation); a
 *   MADV_DONTNEED drops the copy and shows the file again;</li>
 *   <li>mremap moves a page's mapping with its file offset, and a private page's copy with it; with
 *   MREMAP_DONTUNMAP the source stays mapped and empty, so a private source shows the file again;</li>
 *   <li>a page past the file's end gets SIGBUS, through either kind of mapping, and nothing else
 *   does; ftruncate moves the end (a shrink drops the pages past it from the file and from every
 *   mapping, private copies too; pages that come back are zero), pread past it reads nothing and
 *   pwrite past it extends the file;</li>
 *   <li>the page cache's pages are found by faults without a lock (the speculative design) while
 *   writers zap, replace and re-protect the mappings, and while pread/pwrite create pages.</li>
 * </ul>
 * The window starts with its first half mapped shared and its second half private, both read-write
 * and at offset 0: each page of the file's first two is seen through both kinds of mapping at once.
 * pread, pwrite and ftruncate are not writers of the space: they take no mmap lock, as Linux's do
 * not (ftruncate takes the space's writer lock for its zap, see {@link FileObject}).
 */
@Param(name = "page", gen = IntGen.class, conf = "0:3")
@Param(name = "pages", gen = IntGen.class, conf = "1:2")
@Param(name = "prot", gen = IntGen.class, conf = "0:2")
@Param(name = "pgoff", gen = IntGen.class, conf = "0:2")
@Param(name = "value", gen = LongGen.class, conf = "1:3")
@Param(name = "size", gen = IntGen.class, conf = "0:3")
public class FileLinearizability extends WindowHarness {
    /** Pages in the file: a mapping of two pages at offset 2 ends past it. */
    public static final int FILE_PAGES = 3;

    private final FileObject file; // [I] (as WindowHarness's fields)

    public FileLinearizability() {
        file = new FileObject("lin", FILE_PAGES * Mman.PAGE_SIZE, machine.frames(), checkConfig.bugs());
        final long half = PAGES / 2 * Mman.PAGE_SIZE;
        final long r = space.mmap(WINDOW, half, RW, Mman.MAP_SHARED | Mman.MAP_FIXED, file, 0);
        final long p = space.mmap(WINDOW + half, half, RW, Mman.MAP_PRIVATE | Mman.MAP_FIXED, file, 0);
        if (r != WINDOW || p != WINDOW + half) {
            throw new IllegalStateException("initial mmap: " + r + ", " + p);
        }
    }

    private long mapFile(int page, int pages, int protCode, int pgoff, int type) {
        return sys(space.mmap(addr(page), len(page, pages), prot(protCode), type | Mman.MAP_FIXED, file,
                pgoff * Mman.PAGE_SIZE));
    }

    @Operation(nonParallelGroup = "writer")
    public long mmapShared(@Param(name = "page") int page, @Param(name = "pages") int pages,
                           @Param(name = "prot") int protCode, @Param(name = "pgoff") int pgoff) {
        return mapFile(page, pages, protCode, pgoff, Mman.MAP_SHARED);
    }

    @Operation(nonParallelGroup = "writer")
    public long mmapPrivate(@Param(name = "page") int page, @Param(name = "pages") int pages,
                            @Param(name = "prot") int protCode, @Param(name = "pgoff") int pgoff) {
        return mapFile(page, pages, protCode, pgoff, Mman.MAP_PRIVATE);
    }

    @Operation(nonParallelGroup = "writer")
    public long munmap(@Param(name = "page") int page, @Param(name = "pages") int pages) {
        return sys(space.munmap(addr(page), len(page, pages)));
    }

    @Operation(nonParallelGroup = "writer")
    public long mprotect(@Param(name = "page") int page, @Param(name = "pages") int pages,
                         @Param(name = "prot") int protCode) {
        return sys(space.mprotect(addr(page), len(page, pages), prot(protCode)));
    }

    @Operation(nonParallelGroup = "writer")
    public long madvise(@Param(name = "page") int page, @Param(name = "pages") int pages) {
        return sys(space.madvise(addr(page), len(page, pages), Mman.MADV_DONTNEED));
    }

    @Operation(nonParallelGroup = "writer")
    public long mremap(@Param(name = "page") int page, @Param(name = "page") int to) {
        return sys(space.mremap(addr(page), Mman.PAGE_SIZE, Mman.PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, addr(to)));
    }

    @Operation(nonParallelGroup = "writer")
    public long mremapDontUnmap(@Param(name = "page") int page, @Param(name = "page") int to) {
        return sys(space.mremap(addr(page), Mman.PAGE_SIZE, Mman.PAGE_SIZE,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP, addr(to)));
    }

    @Operation
    public long load(@Param(name = "page") int page) {
        return loadWord(addr(page));
    }

    @Operation
    public long store(@Param(name = "page") int page, @Param(name = "value") long v) {
        return storeWord(addr(page), v);
    }

    /** pread of the first word of file page {@code pgoff}. */
    @Operation
    public long pread(@Param(name = "pgoff") int pgoff) {
        final long[] w = new long[1];
        final long r = file.pread(pgoff * Mman.PAGE_SIZE, w, space::reclaim);
        return r == 8 ? w[0] : r == 0 ? EOF : sys(r);
    }

    /** pwrite of the first word of file page {@code pgoff}. */
    @Operation
    public long pwrite(@Param(name = "pgoff") int pgoff, @Param(name = "value") long v) {
        return sys(file.pwrite(pgoff * Mman.PAGE_SIZE, v, space::reclaim));
    }

    /** ftruncate of the file to {@code size} pages (0 to its {@link #FILE_PAGES}). */
    @Operation
    public long truncate(@Param(name = "size") int size) {
        return sys(file.truncate(size * Mman.PAGE_SIZE));
    }
}
