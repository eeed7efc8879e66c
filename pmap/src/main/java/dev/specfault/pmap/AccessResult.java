package dev.specfault.pmap;

/** What an emulated access returns: the values of the {@code AddressSpace} contract's load/store. */
public final class AccessResult {
    private AccessResult() {
    }

    public static final int OK = 0;
    /** No VMA, or no right to the access (or growth refused). */
    public static final int SIGSEGV = 1;
    /** A file page beyond the end of its file; an unaligned word. */
    public static final int SIGBUS = 2;
    /** No frame for the fault. */
    public static final int OOM = 3;
    /** The address space was stopped (exit) while the access was in flight, or is gone. */
    public static final int KILLED = 4;

    public static String name(int r) {
        switch (r) {
            case OK: return "OK";
            case SIGSEGV: return "SIGSEGV";
            case SIGBUS: return "SIGBUS";
            case OOM: return "OOM";
            case KILLED: return "KILLED";
            default: return "result" + r;
        }
    }
}
