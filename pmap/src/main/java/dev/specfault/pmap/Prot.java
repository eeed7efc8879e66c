package dev.specfault.pmap;

/**
 * Rights and leaf flags in the architecture-neutral form that {@link PteFormat#leaf} encodes and
 * walks report.
 */
public final class Prot {
    private Prot() {
    }

    /** Rights: read, write, execute (Linux PROT_* values). */
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int EXEC = 4;
    public static final int NONE = 0;

    /** Leaf flags. */
    public static final int DIRTY = 1;
    public static final int YOUNG = 2;
    public static final int GLOBAL = 4;

    /** Access kinds, as a faulting access reports them. */
    public static final int ACCESS_READ = 0;
    public static final int ACCESS_WRITE = 1;
    public static final int ACCESS_EXEC = 2;

    /** The right an access needs. */
    public static int needed(int access) {
        return access == ACCESS_WRITE ? WRITE : access == ACCESS_EXEC ? EXEC : READ;
    }

    public static String toString(int prot) {
        return ((prot & READ) != 0 ? "r" : "-") + ((prot & WRITE) != 0 ? "w" : "-")
                + ((prot & EXEC) != 0 ? "x" : "-");
    }
}
