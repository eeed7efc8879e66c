package dev.specfault.fault.check;

import dev.specfault.fault.Errno;

/**
 * The sequential reference model of {@link FileLinearizability}: the file's pages (one word each),
 * and the window's pages, each unmapped or mapping a page of the file, shared or private, with
 * rights and, for a private page its own store copied, its own value. Linux's semantics at page
 * granularity, independent of the designs.
 */
public class FileSpaceModel {
    private final long[] file = new long[FileLinearizability.FILE_PAGES];
    /** The file's size in pages (pwrite's extension to a word's end is a page here: the harness reads words 0). */
    private int size = FileLinearizability.FILE_PAGES;
    private final boolean[] mapped = new boolean[WindowHarness.PAGES];
    private final boolean[] shared = new boolean[WindowHarness.PAGES];
    private final int[] prot = new int[WindowHarness.PAGES];
    private final int[] pgoff = new int[WindowHarness.PAGES];
    /** A private page's own copy exists (its first store made it): {@link #copy} is its value. */
    private final boolean[] copied = new boolean[WindowHarness.PAGES];
    private final long[] copy = new long[WindowHarness.PAGES];

    public FileSpaceModel() {
        for (int i = 0; i < WindowHarness.PAGES; i++) {
            mapped[i] = true;
            shared[i] = i < WindowHarness.PAGES / 2;
            prot[i] = WindowHarness.RW;
            pgoff[i] = i % (WindowHarness.PAGES / 2);
        }
    }

    private static int end(int page, int pages) {
        return Math.min(WindowHarness.PAGES, page + pages);
    }

    private long map(int page, int pages, int protCode, int off, boolean isShared) {
        for (int i = page; i < end(page, pages); i++) {
            mapped[i] = true;
            shared[i] = isShared;
            prot[i] = WindowHarness.prot(protCode);
            pgoff[i] = off + i - page;
            copied[i] = false;
        }
        return 0;
    }

    public long mmapShared(int page, int pages, int protCode, int off) {
        return map(page, pages, protCode, off, true);
    }

    public long mmapPrivate(int page, int pages, int protCode, int off) {
        return map(page, pages, protCode, off, false);
    }

    public long munmap(int page, int pages) {
        for (int i = page; i < end(page, pages); i++) {
            mapped[i] = false;
            copied[i] = false;
        }
        return 0;
    }

    /** Applies from the start up to the first hole, then ENOMEM. */
    public long mprotect(int page, int pages, int protCode) {
        for (int i = page; i < end(page, pages); i++) {
            if (!mapped[i]) {
                return -Errno.ENOMEM;
            }
            prot[i] = WindowHarness.prot(protCode);
        }
        return 0;
    }

    /** MADV_DONTNEED: a private page drops its copy and shows the file again; the file keeps a shared page's stores. */
    public long madvise(int page, int pages) {
        boolean hole = false;
        for (int i = page; i < end(page, pages); i++) {
            if (mapped[i]) {
                copied[i] = false;
            } else {
                hole = true;
            }
        }
        return hole ? -Errno.ENOMEM : 0;
    }

    /**
     * mremap(MAYMOVE|FIXED) of one page: its mapping (shared or private, rights, file offset) and a
     * private page's own copy move to {@code to}; EINVAL onto itself, EFAULT from a hole (as
     * {@link SpaceModel#mremap}).
     */
    public long mremap(int page, int to) {
        return move(page, to, false);
    }

    /**
     * mremap(MAYMOVE|FIXED|DONTUNMAP) of one page: as {@link #mremap}, but the source stays mapped as
     * it was with no pages: a private one shows the file again (its copy went with the move).
     */
    public long mremapDontUnmap(int page, int to) {
        return move(page, to, true);
    }

    private long move(int page, int to, boolean keepSource) {
        if (page == to) {
            return -Errno.EINVAL;
        }
        if (!mapped[page]) {
            return -Errno.EFAULT;
        }
        mapped[to] = true;
        shared[to] = shared[page];
        prot[to] = prot[page];
        pgoff[to] = pgoff[page];
        copied[to] = copied[page];
        copy[to] = copy[page];
        mapped[page] = keepSource;
        copied[page] = false;
        return 0;
    }

    private boolean pastEnd(int page) {
        return pgoff[page] >= size;
    }

    public long load(int page) {
        if (!mapped[page] || prot[page] == 0) {
            return WindowHarness.SEGV;
        }
        if (pastEnd(page)) {
            return WindowHarness.SIGBUS;
        }
        return !shared[page] && copied[page] ? copy[page] : file[pgoff[page]];
    }

    public long store(int page, long v) {
        if (!mapped[page] || (prot[page] & WindowHarness.WRITE) == 0) {
            return WindowHarness.SEGV;
        }
        if (pastEnd(page)) {
            return WindowHarness.SIGBUS;
        }
        if (shared[page]) {
            file[pgoff[page]] = v;
        } else {
            copied[page] = true;
            copy[page] = v;
        }
        return 0;
    }

    public long pread(int off) {
        return off >= size ? WindowHarness.EOF : file[off];
    }

    /** Past the end, the file grows to the word written. */
    public long pwrite(int off, long v) {
        size = Math.max(size, off + 1);
        file[off] = v;
        return 0;
    }

    /**
     * ftruncate to {@code n} pages: a shrink drops the file's pages past the end (they read zero if
     * the file grows again) and every mapping's pages there, a private page's copy too
     * (unmap_mapping_range's even_cows).
     */
    public long truncate(int n) {
        for (int p = n; p < size; p++) {
            file[p] = 0;
        }
        for (int i = 0; i < WindowHarness.PAGES; i++) {
            if (mapped[i] && pgoff[i] >= n) {
                copied[i] = false;
            }
        }
        size = n;
        return 0;
    }
}
