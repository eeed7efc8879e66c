package dev.specfault.fault;

/**
 * Linux errno values (x86-64 and arm64 share them). System calls of {@link AddressSpace} return
 * {@code -errno} on failure, as the raw Linux system call does, and a non-negative value on success.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int EFBIG = 27;
    public static final int EOVERFLOW = 75;
    public static final int EOPNOTSUPP = 95;

    private Errno() {
    }

    /** Whether a system call result is an error ({@code -4095 <= r < 0}, Linux's IS_ERR_VALUE). */
    public static boolean isError(long r) {
        return r < 0 && r >= -4095;
    }

    /** The symbolic name of an errno ({@code 12 -> "ENOMEM"}). */
    public static String name(int errno) {
        switch (errno) {
            case EPERM: return "EPERM";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EACCES: return "EACCES";
            case EFAULT: return "EFAULT";
            case EBUSY: return "EBUSY";
            case EEXIST: return "EEXIST";
            case EINVAL: return "EINVAL";
            case EFBIG: return "EFBIG";
            case EOVERFLOW: return "EOVERFLOW";
            case EOPNOTSUPP: return "EOPNOTSUPP";
            default: return "E" + errno;
        }
    }

    /** A result as strace prints it: {@code 0x7ffff7ff0000}, {@code 0}, or {@code -1 ENOMEM}. */
    public static String format(long r) {
        if (isError(r)) {
            return "-1 " + name((int) -r);
        }
        return r > 0xffff ? "0x" + Long.toHexString(r) : Long.toString(r);
    }
}
