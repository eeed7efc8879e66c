package dev.specfault.stress.replay;

import java.util.Map;

/** errno names strace prints, with Linux's numbers (x86-64 and arm64 share them). */
final class Errnos {
    static final int ESRCH = 3;
    static final int EAGAIN = 11;
    static final int ECHILD = 10;
    private static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("EPERM", 1), Map.entry("ENOENT", 2), Map.entry("ESRCH", 3), Map.entry("EINTR", 4),
            Map.entry("EIO", 5), Map.entry("ENXIO", 6), Map.entry("E2BIG", 7), Map.entry("ENOEXEC", 8),
            Map.entry("EBADF", 9), Map.entry("ECHILD", 10), Map.entry("EAGAIN", 11), Map.entry("ENOMEM", 12),
            Map.entry("EACCES", 13), Map.entry("EFAULT", 14), Map.entry("EBUSY", 16), Map.entry("EEXIST", 17),
            Map.entry("ENODEV", 19), Map.entry("ENOTDIR", 20), Map.entry("EISDIR", 21), Map.entry("EINVAL", 22),
            Map.entry("ENFILE", 23), Map.entry("EMFILE", 24), Map.entry("ETXTBSY", 26), Map.entry("EFBIG", 27),
            Map.entry("ENOSPC", 28), Map.entry("ERANGE", 34), Map.entry("ENOSYS", 38), Map.entry("ELOOP", 40),
            Map.entry("EOVERFLOW", 75), Map.entry("EOPNOTSUPP", 95), Map.entry("ENOTSUP", 95));

    private Errnos() {
    }

    /** {@code -errno} as strace prints it: {@code -1 ECHILD}. */
    static String format(long r) {
        for (Map.Entry<String, Integer> e : NUMBERS.entrySet()) {
            if (e.getValue() == -r && !e.getKey().equals("ENOTSUP")) {
                return "-1 " + e.getKey();
            }
        }
        return dev.specfault.fault.Errno.format(r);
    }

    /** The number of an errno name, or 0 if unknown. */
    static int number(String name) {
        return NUMBERS.getOrDefault(name, 0);
    }
}
