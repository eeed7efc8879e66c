package dev.specfault.stress.replay;

import dev.specfault.fault.Mman;
import java.util.Map;

/** Numbers and symbolic flags as strace prints them. */
final class Values {
    static final int MAP_32BIT = 0x40;
    static final int MAP_SYNC = 0x80000;
    static final int MAP_UNINITIALIZED = 0x4000000;
    static final int MAP_HUGE_SHIFT = 26;

    static final Map<String, Integer> PROT = Map.of("PROT_NONE", Mman.PROT_NONE, "PROT_READ", Mman.PROT_READ,
            "PROT_WRITE", Mman.PROT_WRITE, "PROT_EXEC", Mman.PROT_EXEC, "PROT_SEM", Mman.PROT_SEM,
            "PROT_GROWSDOWN", Mman.PROT_GROWSDOWN, "PROT_GROWSUP", Mman.PROT_GROWSUP);

    static final Map<String, Integer> MAP = Map.ofEntries(Map.entry("MAP_SHARED", Mman.MAP_SHARED),
            Map.entry("MAP_PRIVATE", Mman.MAP_PRIVATE), Map.entry("MAP_SHARED_VALIDATE", Mman.MAP_SHARED_VALIDATE),
            Map.entry("MAP_FIXED", Mman.MAP_FIXED), Map.entry("MAP_ANONYMOUS", Mman.MAP_ANONYMOUS),
            Map.entry("MAP_32BIT", MAP_32BIT), Map.entry("MAP_GROWSDOWN", Mman.MAP_GROWSDOWN),
            Map.entry("MAP_DENYWRITE", Mman.MAP_DENYWRITE), Map.entry("MAP_EXECUTABLE", Mman.MAP_EXECUTABLE),
            Map.entry("MAP_LOCKED", Mman.MAP_LOCKED), Map.entry("MAP_NORESERVE", Mman.MAP_NORESERVE),
            Map.entry("MAP_POPULATE", Mman.MAP_POPULATE), Map.entry("MAP_NONBLOCK", Mman.MAP_NONBLOCK),
            Map.entry("MAP_STACK", Mman.MAP_STACK), Map.entry("MAP_HUGETLB", Mman.MAP_HUGETLB),
            Map.entry("MAP_SYNC", MAP_SYNC), Map.entry("MAP_FIXED_NOREPLACE", Mman.MAP_FIXED_NOREPLACE),
            Map.entry("MAP_UNINITIALIZED", MAP_UNINITIALIZED), Map.entry("MAP_DROPPABLE", Mman.MAP_DROPPABLE),
            Map.entry("MAP_FILE", 0));

    static final Map<String, Integer> MREMAP = Map.of("MREMAP_MAYMOVE", Mman.MREMAP_MAYMOVE,
            "MREMAP_FIXED", Mman.MREMAP_FIXED, "MREMAP_DONTUNMAP", Mman.MREMAP_DONTUNMAP);

    static final Map<String, Integer> MCL = Map.of("MCL_CURRENT", Mman.MCL_CURRENT, "MCL_FUTURE", Mman.MCL_FUTURE,
            "MCL_ONFAULT", Mman.MCL_ONFAULT);

    static final Map<String, Integer> MLOCK = Map.of("MLOCK_ONFAULT", Mman.MLOCK_ONFAULT);
    static final Map<String, Integer> MS = Map.of("MS_ASYNC", Mman.MS_ASYNC, "MS_INVALIDATE", Mman.MS_INVALIDATE,
            "MS_SYNC", Mman.MS_SYNC);

    /** Every advice Linux knows; {@link Mman#madviseModelled} says which are modelled. */
    static final Map<String, Integer> MADV = Map.ofEntries(Map.entry("MADV_NORMAL", 0), Map.entry("MADV_RANDOM", 1),
            Map.entry("MADV_SEQUENTIAL", 2), Map.entry("MADV_WILLNEED", 3), Map.entry("MADV_DONTNEED", 4),
            Map.entry("MADV_FREE", 8), Map.entry("MADV_REMOVE", 9), Map.entry("MADV_DONTFORK", 10),
            Map.entry("MADV_DOFORK", 11), Map.entry("MADV_MERGEABLE", 12), Map.entry("MADV_UNMERGEABLE", 13),
            Map.entry("MADV_HUGEPAGE", 14), Map.entry("MADV_NOHUGEPAGE", 15), Map.entry("MADV_DONTDUMP", 16),
            Map.entry("MADV_DODUMP", 17), Map.entry("MADV_WIPEONFORK", 18), Map.entry("MADV_KEEPONFORK", 19),
            Map.entry("MADV_COLD", 20), Map.entry("MADV_PAGEOUT", 21), Map.entry("MADV_POPULATE_READ", 22),
            Map.entry("MADV_POPULATE_WRITE", 23), Map.entry("MADV_DONTNEED_LOCKED", 24), Map.entry("MADV_COLLAPSE", 25),
            Map.entry("MADV_HWPOISON", 100), Map.entry("MADV_SOFT_OFFLINE", 101), Map.entry("MADV_GUARD_INSTALL", 102),
            Map.entry("MADV_GUARD_REMOVE", 103));

    private Values() {
    }

    /** Drops {@code /* ... *}{@code /} comments. */
    static String uncomment(String s) {
        int c = s.indexOf("/*");
        if (c < 0) {
            return s.strip();
        }
        // One pass (a line of a million comments must not take a quadratic time).
        final StringBuilder b = new StringBuilder(s.length());
        int from = 0;
        while (c >= 0) {
            final int e = s.indexOf("*/", c + 2);
            if (e < 0) {
                break; // unterminated: kept as it is
            }
            b.append(s, from, c);
            from = e + 2;
            c = s.indexOf("/*", from);
        }
        b.append(s, from, s.length());
        return b.toString().strip();
    }

    /**
     * An argument strace printed that is not what the call takes: the call is counted unsupported
     * ("unreadable arguments"). Its own type, so that an emulator's exception is never taken for one.
     */
    static final class Unreadable extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message);
        }
    }

    /** {@code NULL}, {@code 0x7f..}, {@code 4096}, {@code -1}, {@code 18446744073709547520}. */
    static long number(String s) {
        final String t = uncomment(s);
        try {
            if (t.equals("NULL")) {
                return 0;
            }
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            if (t.startsWith("-")) {
                return Long.parseLong(t);
            }
            return Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new Unreadable("not a number: '" + s + "'");
        }
    }

    /** {@code A|B|0x10} with the names of {@code table}. */
    static int flags(String s, Map<String, Integer> table) {
        final String t = uncomment(s);
        int v = 0;
        for (String part : t.split("\\|")) {
            final String p = part.strip();
            final Integer known = table.get(p);
            if (known != null) {
                v |= known;
            } else if (p.startsWith("MAP_HUGE_") && table == MAP) {
                v |= Mman.MAP_HUGETLB | (1 << MAP_HUGE_SHIFT); // a huge page size: only with MAP_HUGETLB
            } else {
                final long n = number(p);
                if (n != (int) n) {
                    throw new Unreadable("flag out of range: '" + p + "'");
                }
                v |= (int) n;
            }
        }
        return v;
    }
}
