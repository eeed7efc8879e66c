package dev.specfault.vma;

import java.util.StringJoiner;

/**
 * Flags of a mapping (the subset of Linux's {@code vm_flags} and UVM's entry flags that specfault
 * models), one bit each.
 *
 * <pre>
 *   bit   16
 *      ┌──────────┐
 *      │ ACCOUNT  │
 *      └──────────┘
 *   bit   15         14        13          12         11        10          9            8
 *      ┌──────────┬─────────┬───────────┬──────────┬─────────┬──────────┬────────────┬──────────┐
 *      │ MERGEABLE│NOHUGEPG │ HUGEPAGE  │ SEQ_READ │RAND_READ│ DONTDUMP │ WIPEONFORK │ DONTCOPY │
 *      └──────────┴─────────┴───────────┴──────────┴─────────┴──────────┴────────────┴──────────┘
 *   bit   7           6        5            4       3          2           1           0
 *      ┌───────────┬────────┬────────────┬───────┬───────────┬───────────┬───────────┬────────┐
 *      │ DROPPABLE │ LOCKED │ NEEDS_COPY │LOCKONF│ NORESERVE │ GROWSDOWN │ ANONYMOUS │ SHARED │
 *      └───────────┴────────┴────────────┴───────┴───────────┴───────────┴───────────┴────────┘
 * </pre>
 * {@link #SHARED} absent = private; {@link #ANONYMOUS} absent = file-backed. {@link #NEEDS_COPY} is
 * the locked design's UVM_ET_NEEDSCOPY: the entry's amap is shared copy-on-write after fork and must
 * be copied ({@code amap_copy}) before the first write. {@link #LOCKED} is VM_LOCKED (MAP_LOCKED: the
 * pages are faulted in at mmap, and MADV_DONTNEED/MADV_FREE refuse the area; mlock sets it too, with
 * {@link #LOCKONFAULT} for MLOCK_ONFAULT); {@link #DROPPABLE} is
 * Linux 6.11's VM_DROPPABLE (MAP_DROPPABLE: private anonymous memory the kernel may drop under
 * pressure — not modelled — and wipes in a fork's child; the flag also keeps such areas apart, as
 * the kernel does).
 *
 * <p>Bits 8–15 are the ones madvise sets and clears ({@code madvise_update_vma}): {@link #DONTCOPY}
 * (VM_DONTCOPY, MADV_DONTFORK: a fork's child does not get the area; UVM's MAP_INHERIT_NONE),
 * {@link #WIPEONFORK} (VM_WIPEONFORK, MADV_WIPEONFORK and MAP_DROPPABLE: the child gets the area
 * empty; UVM's MAP_INHERIT_ZERO), and six that change nothing specfault emulates but the layout —
 * {@link #DONTDUMP} (core dumps), {@link #RAND_READ} and {@link #SEQ_READ} (readahead),
 * {@link #HUGEPAGE} and {@link #NOHUGEPAGE} (THP; mmap's MAP_STACK sets NOHUGEPAGE, Linux 6.7's
 * calc_vm_flag_bits, with THP configured as on this machine), {@link #MERGEABLE} (KSM). Flags take part in
 * merging: two areas merge only if their flags are equal (Linux {@code is_mergeable_vma} compares
 * {@code vm_flags}), so each of these splits an area where it starts or ends, as in Linux.
 *
 * <p>{@link #ACCOUNT} is VM_ACCOUNT: the area's pages are charged to the commit (overcommit
 * accounting, whose limit is not modelled). Invisible in {@code /proc/PID/maps}, it shows in the
 * layout because it takes part in merging: mmap sets it on a private writable mapping without
 * MAP_NORESERVE ({@code accountable_mapping}), brk and the initial stack have it, mprotect adds it
 * when private memory first becomes writable and takes it away from read-only anonymous memory
 * only while nothing was written there ({@code mprotect_fixup}, see {@link LayoutPlanner#protect});
 * MREMAP_DONTUNMAP leaves it on the area it leaves behind (the memory is charged twice).
 */
public final class VmaFlags {
    public static final int SHARED = 1;
    public static final int ANONYMOUS = 1 << 1;
    public static final int GROWSDOWN = 1 << 2;
    public static final int NORESERVE = 1 << 3;
    /** VM_LOCKONFAULT (mlock2 MLOCK_ONFAULT, mlockall MCL_ONFAULT): locked, but not faulted in at once. */
    public static final int LOCKONFAULT = 1 << 4;
    public static final int NEEDS_COPY = 1 << 5;
    public static final int LOCKED = 1 << 6;
    public static final int DROPPABLE = 1 << 7;
    public static final int DONTCOPY = 1 << 8;
    public static final int WIPEONFORK = 1 << 9;
    public static final int DONTDUMP = 1 << 10;
    public static final int RAND_READ = 1 << 11;
    public static final int SEQ_READ = 1 << 12;
    public static final int HUGEPAGE = 1 << 13;
    public static final int NOHUGEPAGE = 1 << 14;
    public static final int MERGEABLE = 1 << 15;
    /** VM_ACCOUNT (see the class comment). */
    public static final int ACCOUNT = 1 << 16;
    /**
     * VM_SEALED (mseal, Linux 6.10, 64-bit only): the area may not be unmapped, replaced, moved,
     * resized or have its rights changed, and read-only private anonymous memory may not be discarded.
     * A vm_flags bit like the others: areas differing in it do not merge, sealing part of one splits it.
     */
    public static final int SEALED = 1 << 17;
    /** Every known bit. */
    public static final int ALL = (1 << 18) - 1;

    private static final String[] NAMES = {"shared", "anon", "growsdown", "noreserve", "lockonfault", "needs-copy", "locked",
        "droppable", "dontcopy", "wipeonfork", "dontdump", "rand-read", "seq-read", "hugepage", "nohugepage",
        "mergeable", "account", "sealed"};

    private VmaFlags() {
    }

    /** Whether {@code flags} has only known bits. */
    public static boolean isValid(int flags) {
        return (flags & ~ALL) == 0;
    }

    public static boolean isShared(int flags) {
        return (flags & SHARED) != 0;
    }

    public static boolean isAnonymous(int flags) {
        return (flags & ANONYMOUS) != 0;
    }

    public static boolean growsDown(int flags) {
        return (flags & GROWSDOWN) != 0;
    }

    /** E.g. "private|anon|growsdown"; "shared|file". */
    public static String toString(int flags) {
        final StringJoiner j = new StringJoiner("|");
        j.add(isShared(flags) ? "shared" : "private");
        j.add(isAnonymous(flags) ? "anon" : "file");
        for (int bit = 2; bit < NAMES.length; bit++) {
            if ((flags & (1 << bit)) != 0) {
                j.add(NAMES[bit]);
            }
        }
        if (!isValid(flags)) {
            j.add("0x" + Integer.toHexString(flags & ~ALL));
        }
        return j.toString();
    }
}
