package dev.specfault.vma;

/**
 * Access rights of a mapping, as Linux's {@code PROT_*} bits.
 *
 * <pre>
 *   bit  2      1      0
 *      ┌──────┬──────┬──────┐
 *      │ EXEC │WRITE │ READ │      NONE = 0
 *      └──────┴──────┴──────┘
 * </pre>
 * An area's rights have no other bit. The system calls' other bits (PROT_SEM, PROT_GROWSDOWN,
 * PROT_GROWSUP, unknown ones) are the fault module's {@code Mman}'s business.
 */
public final class Prot {
    public static final int NONE = 0;
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int EXEC = 4;
    /** Every valid bit. */
    public static final int ALL = READ | WRITE | EXEC;

    private Prot() {
    }

    /** Whether {@code prot} has only known bits. */
    public static boolean isValid(int prot) {
        return (prot & ~ALL) == 0;
    }

    /** Whether {@code granted} includes every right in {@code needed}. */
    public static boolean allows(int granted, int needed) {
        return (needed & ~granted) == 0;
    }

    /** {@code /proc/PID/maps} style: "rw-", "r-x", "---"; unknown bits as "?". */
    public static String toString(int prot) {
        final StringBuilder b = new StringBuilder(4);
        b.append((prot & READ) != 0 ? 'r' : '-');
        b.append((prot & WRITE) != 0 ? 'w' : '-');
        b.append((prot & EXEC) != 0 ? 'x' : '-');
        if (!isValid(prot)) {
            b.append('?');
        }
        return b.toString();
    }
}
