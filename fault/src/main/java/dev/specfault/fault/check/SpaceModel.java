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

    public SpaceModel() {
        for (int i = 0; i < mapped.length; i++) {
            mapped[i] = true;
            prot[i] = SpaceLinearizability.RW;
        }
    }

    private static int end(int page, int pages) {
        return Math.min(SpaceLinearizability.PAGES, page + pages);
    }

    public long mmap(int page, int pages, int protCode) {
        for (int i = page; i < end(page, pages); i++) {
            mapped[i] = true;
            prot[i] = SpaceLinearizability.prot(protCode);
            value[i] = 0;
        }
        return 0;
    }

    public long munmap(int page, int pages) {
        for (int i = page; i < end(page, pages); i++) {
            mapped[i] = false;
            value[i] = 0;
        }
        return 0;
    }

    /** Linux: applies from the start up to the first hole, then ENOMEM; a start in a hole changes nothing. */
    public long mprotect(int page, int pages, int protCode) {
        for (int i = page; i < end(page, pages); i++) {
            if (!mapped[i]) {
                return -Errno.ENOMEM;
            }
            prot[i] = SpaceLinearizability.prot(protCode);
        }
        return 0;
    }

    /** MADV_DONTNEED on private anonymous memory: the pages read zero again; ENOMEM after a hole. */
    public long madvise(int page, int pages) {
        boolean hole = false;
        for (int i = page; i < end(page, pages); i++) {
            if (mapped[i]) {
                value[i] = 0;
            } else {
                hole = true;
            }
        }
        return hole ? -Errno.ENOMEM : 0;
    }

    /** mremap(MAYMOVE|FIXED) of one page: EINVAL onto itself, EFAULT from a hole. */
    public long mremap(int page, int to) {
        if (page == to) {
            return -Errno.EINVAL;
        }
        // Linux mremap_to unmaps the target first, then looks the source up.
        mapped[to] = false;
        value[to] = 0;
        if (!mapped[page]) {
            return -Errno.EFAULT;
        }
        mapped[to] = true;
        prot[to] = prot[page];
        value[to] = value[page];
        mapped[page] = false;
        value[page] = 0;
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
        return 0;
    }
}
