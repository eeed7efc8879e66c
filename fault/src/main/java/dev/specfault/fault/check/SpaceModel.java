package dev.specfault.fault.check;

import dev.specfault.fault.Errno;

/**
 * The sequential reference model of the linearizability harness (P8): the window's pages, each
 * unmapped or mapped with rights and a value, with Linux's semantics at page granularity. It is
 * independent of the designs: no VMA tree, no planner, no page tables.
 *
 * <p>Methods have the names and parameters of {@link SpaceLinearizability}'s operations, as
 * Lincheck's {@code sequentialSpecification} requires, and return the same encoded results.
 */
public class SpaceModel {
    private final boolean[] mapped = new boolean[SpaceLinearizability.PAGES];
    private final int[] prot = new int[SpaceLinearizability.PAGES];
    private final long[] value = new long[SpaceLinearizability.PAGES];
    /** MADV_FREE marked the page and nothing stored to it since: reclaim may discard it. */
    private final boolean[] lazy = new boolean[SpaceLinearizability.PAGES];
    /** mseal sealed the page ({@link SealLinearizability}; never set by the other harnesses). */
    private final boolean[] sealed = new boolean[SpaceLinearizability.PAGES];

    public SpaceModel() {
        for (int i = 0; i < mapped.length; i++) {
            mapped[i] = true;
            prot[i] = SpaceLinearizability.RW;
        }
    }

    private static int end(int page, int pages) {
        return Math.min(SpaceLinearizability.PAGES, page + pages);
    }

    /** Whether a page of [page, page + pages) is sealed: munmap and MAP_FIXED there are EPERM, nothing changed. */
    private boolean anySealed(int page, int pages) {
        for (int i = page; i < end(page, pages); i++) {
            if (sealed[i]) {
                return true;
            }
        }
        return false;
    }

    /** Whether a discarding advice is refused on the page: sealed, and (private anonymous memory) not writable. */
    private boolean sealedAgainstDiscard(int i) {
        return sealed[i] && (prot[i] & SpaceLinearizability.WRITE) == 0;
    }

    public long mmap(int page, int pages, int protCode) {
        if (anySealed(page, pages)) {
            return -Errno.EPERM;
        }
        for (int i = page; i < end(page, pages); i++) {
            mapped[i] = true;
            prot[i] = SpaceLinearizability.prot(protCode);
            value[i] = 0;
            lazy[i] = false;
        }
        return 0;
    }

    public long munmap(int page, int pages) {
        if (anySealed(page, pages)) {
            return -Errno.EPERM;
        }
        for (int i = page; i < end(page, pages); i++) {
            mapped[i] = false;
            value[i] = 0;
            lazy[i] = false;
        }
        return 0;
    }

    /**
     * Linux: applies from the start up to the first hole (ENOMEM) or sealed page (EPERM); a start
     * there changes nothing.
     */
    public long mprotect(int page, int pages, int protCode) {
        for (int i = page; i < end(page, pages); i++) {
            if (!mapped[i]) {
                return -Errno.ENOMEM;
            }
            if (sealed[i]) {
                return -Errno.EPERM;
            }
            prot[i] = SpaceLinearizability.prot(protCode);
        }
        return 0;
    }

    /**
     * MADV_DONTNEED on private anonymous memory: the pages read zero again; ENOMEM after a hole; a
     * sealed page without PROT_WRITE stops it (EPERM), the pages before it discarded.
     */
    public long madvise(int page, int pages) {
        boolean hole = false;
        for (int i = page; i < end(page, pages); i++) {
            if (mapped[i] && sealedAgainstDiscard(i)) {
                return -Errno.EPERM;
            }
            if (mapped[i]) {
                value[i] = 0;
                lazy[i] = false;
            } else {
                hole = true;
            }
        }
        return hole ? -Errno.ENOMEM : 0;
    }

    /**
     * MADV_FREE on private anonymous memory: the pages keep their values until reclaim discards
     * them, unless something is stored to them first; whatever their rights. ENOMEM after a hole.
     */
    public long madviseFree(int page, int pages) {
        boolean hole = false;
        for (int i = page; i < end(page, pages); i++) {
            if (mapped[i] && sealedAgainstDiscard(i)) {
                return -Errno.EPERM;
            }
            if (mapped[i]) {
                lazy[i] = true;
            } else {
                hole = true;
            }
        }
        return hole ? -Errno.ENOMEM : 0;
    }

    /** Reclaim: every lazy-free page not stored to since MADV_FREE reads zero again (still mapped). */
    public long reclaim() {
        for (int i = 0; i < lazy.length; i++) {
            if (lazy[i]) {
                value[i] = 0;
                lazy[i] = false;
            }
        }
        return 0;
    }

    /**
     * mremap(MAYMOVE|FIXED) of one page: EINVAL onto itself, even from a hole (Linux checks the new
     * range first); EFAULT from a hole, with the target left as it was (the source is looked up
     * before mremap_to unmaps the target). As Linux 6.18 on this machine does.
     */
    public long mremap(int page, int to) {
        return move(page, to, false);
    }

    /**
     * mremap(MAYMOVE|FIXED|DONTUNMAP) of one page: as {@link #mremap}, but the source stays mapped
     * with its rights, empty (private anonymous memory reads zero again).
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
        if (sealed[page] || sealed[to]) {
            return -Errno.EPERM; // the source (check_prep_vma), then the target's unmap
        }
        mapped[to] = true;
        prot[to] = prot[page];
        value[to] = value[page];
        lazy[to] = lazy[page]; // the page moves, lazy-free and clean as it was
        mapped[page] = keepSource;
        value[page] = 0;
        lazy[page] = false;
        return 0;
    }

    /** mseal: ENOMEM if a page of the range is unmapped (nothing sealed); else the pages are sealed. */
    public long mseal(int page, int pages) {
        for (int i = page; i < end(page, pages); i++) {
            if (!mapped[i]) {
                return -Errno.ENOMEM;
            }
        }
        for (int i = page; i < end(page, pages); i++) {
            sealed[i] = true;
        }
        return 0;
    }

    public long load(int page) {
        if (!mapped[page] || prot[page] == 0) {
            return SpaceLinearizability.SEGV;
        }
        return value[page];
    }

    public long store(int page, long v) {
        if (!mapped[page] || (prot[page] & SpaceLinearizability.WRITE) == 0) {
            return SpaceLinearizability.SEGV;
        }
        value[page] = v;
        lazy[page] = false; // the store dirties the page: reclaim keeps it
        return 0;
    }
}
