package dev.specfault.fault;

/**
 * The constants of {@code <sys/mman.h>} with Linux's values (x86-64 and arm64 generic ABI), so that
 * a trace from strace replays with the numbers it shows.
 */
public final class Mman {
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;
    /** Accepted by mprotect and ignored (Linux PROT_SEM). */
    public static final int PROT_SEM = 8;
    /**
     * mprotect only: the change starts at the start of the first area in the range, which must
     * be a GROWSDOWN one (EINVAL otherwise). mmap ignores it.
     */
    public static final int PROT_GROWSDOWN = 0x01000000;
    /**
     * mprotect only: the change would end at the area's end, but no area grows up on x86-64 or
     * arm64 (no VM_GROWSUP), so a mapped start is EINVAL. With PROT_GROWSDOWN it is EINVAL.
     */
    public static final int PROT_GROWSUP = 0x02000000;

    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_SHARED_VALIDATE = 0x03;
    /** Linux 6.11: private anonymous memory the kernel may drop under memory pressure. */
    public static final int MAP_DROPPABLE = 0x08;
    public static final int MAP_TYPE = 0x0f;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_GROWSDOWN = 0x0100;
    public static final int MAP_DENYWRITE = 0x0800;
    public static final int MAP_EXECUTABLE = 0x1000;
    public static final int MAP_LOCKED = 0x2000;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_NONBLOCK = 0x10000;
    public static final int MAP_STACK = 0x20000;
    public static final int MAP_HUGETLB = 0x40000;
    public static final int MAP_FIXED_NOREPLACE = 0x100000;

    /** Flags MAP_SHARED_VALIDATE accepts (Linux LEGACY_MAP_MASK plus the newer ones we model). */
    public static final int MAP_KNOWN = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE
            | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK
            | MAP_HUGETLB | MAP_FIXED_NOREPLACE;

    public static final int MREMAP_MAYMOVE = 1;
    public static final int MREMAP_FIXED = 2;
    public static final int MREMAP_DONTUNMAP = 4;

    public static final int MADV_NORMAL = 0;
    public static final int MADV_RANDOM = 1;
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_DONTNEED = 4;
    /** Lazy free: the pages may be discarded under memory pressure unless written again (Linux 4.5). */
    public static final int MADV_FREE = 8;
    public static final int MADV_DONTFORK = 10;
    public static final int MADV_DOFORK = 11;
    public static final int MADV_MERGEABLE = 12;
    public static final int MADV_UNMERGEABLE = 13;
    public static final int MADV_HUGEPAGE = 14;
    public static final int MADV_NOHUGEPAGE = 15;
    public static final int MADV_DONTDUMP = 16;
    public static final int MADV_DODUMP = 17;
    public static final int MADV_WIPEONFORK = 18;
    public static final int MADV_KEEPONFORK = 19;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_COLD = 20;
    /** Reclaims the range's pages now; here: the lazy-free (MADV_FREE) ones still clean are discarded. */
    public static final int MADV_PAGEOUT = 21;
    public static final int MADV_POPULATE_READ = 22;
    public static final int MADV_POPULATE_WRITE = 23;
    /** MADV_DONTNEED that locked memory does not refuse (Linux 5.18). */
    public static final int MADV_DONTNEED_LOCKED = 24;

    /**
     * Whether the AddressSpace contract models {@code advice}: DONTNEED, DONTNEED_LOCKED, FREE,
     * WILLNEED, COLD, PAGEOUT, POPULATE_READ, POPULATE_WRITE and {@link #madviseSetsFlags the ones
     * that change vm_flags}. Not: REMOVE, COLLAPSE, GUARD_INSTALL/REMOVE, HWPOISON, SOFT_OFFLINE
     * (EINVAL here).
     */
    public static boolean madviseModelled(int advice) {
        return madviseSetsFlags(advice) || advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_WILLNEED
                || advice >= MADV_COLD && advice <= MADV_DONTNEED_LOCKED;
    }

    /**
     * Whether {@code advice} is one that only changes the areas' {@code vm_flags} (Linux
     * {@code madvise_vma_behavior}'s cases that end in {@code madvise_update_vma}): NORMAL, RANDOM,
     * SEQUENTIAL, DONTFORK, DOFORK, MERGEABLE, UNMERGEABLE (CONFIG_KSM), HUGEPAGE, NOHUGEPAGE
     * (CONFIG_TRANSPARENT_HUGEPAGE), DONTDUMP, DODUMP, WIPEONFORK, KEEPONFORK.
     */
    public static boolean madviseSetsFlags(int advice) {
        return advice >= MADV_NORMAL && advice <= MADV_SEQUENTIAL || advice >= MADV_DONTFORK && advice <= MADV_KEEPONFORK;
    }

    /** msync: schedule the write-back (a no-op since Linux 2.6.19). */
    public static final int MS_ASYNC = 1;
    /** msync: drop other mappings' cached copies (a no-op in Linux; EBUSY on locked memory). */
    public static final int MS_INVALIDATE = 2;
    /** msync: write a shared file mapping's pages back and wait. */
    public static final int MS_SYNC = 4;

    /** mlock2: lock the pages as they are faulted in, not at once. */
    public static final int MLOCK_ONFAULT = 1;
    public static final int MCL_CURRENT = 1;
    public static final int MCL_FUTURE = 2;
    public static final int MCL_ONFAULT = 4;

    public static final long PAGE_SIZE = 4096;
    public static final long PAGE_MASK = ~(PAGE_SIZE - 1);

    private Mman() {
    }

    /** Linux PAGE_ALIGN: rounds up; 0 when it overflows past 2^64 (callers treat that as overflow). */
    public static long pageAlign(long len) {
        return (len + PAGE_SIZE - 1) & PAGE_MASK;
    }

    public static boolean aligned(long addr) {
        return (addr & (PAGE_SIZE - 1)) == 0;
    }

    /** mmap flags as strace prints them. */
    public static String mapFlags(int flags) {
        final StringBuilder b = new StringBuilder();
        switch (flags & MAP_TYPE) {
            case MAP_SHARED: b.append("MAP_SHARED"); break;
            case MAP_PRIVATE: b.append("MAP_PRIVATE"); break;
            case MAP_SHARED_VALIDATE: b.append("MAP_SHARED_VALIDATE"); break;
            case MAP_DROPPABLE: b.append("MAP_DROPPABLE"); break;
            default: b.append("0x").append(Integer.toHexString(flags & MAP_TYPE)); break;
        }
        final int[] bits = {MAP_FIXED, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE,
            MAP_STACK, MAP_FIXED_NOREPLACE};
        final String[] names = {"MAP_FIXED", "MAP_ANONYMOUS", "MAP_GROWSDOWN", "MAP_LOCKED", "MAP_NORESERVE",
            "MAP_POPULATE", "MAP_STACK", "MAP_FIXED_NOREPLACE"};
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                b.append('|').append(names[i]);
            }
        }
        return b.toString();
    }

    /** Protection bits as strace prints them. */
    public static String prot(int prot) {
        if (prot == PROT_NONE) {
            return "PROT_NONE";
        }
        final StringBuilder b = new StringBuilder();
        if ((prot & PROT_READ) != 0) {
            b.append("PROT_READ");
        }
        if ((prot & PROT_WRITE) != 0) {
            b.append(b.length() > 0 ? "|" : "").append("PROT_WRITE");
        }
        if ((prot & PROT_EXEC) != 0) {
            b.append(b.length() > 0 ? "|" : "").append("PROT_EXEC");
        }
        final int rest = prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC);
        if (rest != 0) {
            b.append(b.length() > 0 ? "|" : "").append("0x").append(Integer.toHexString(rest));
        }
        return b.toString();
    }
}
