package dev.specfault.stress.replay;

import java.util.List;

/** What one line (or one unfinished/resumed pair of lines) of an strace log says. */
public sealed interface TraceEvent {
    /** The 1-based line where the event starts in the log. */
    int line();

    /** The pid strace printed (0 for a line without one: the first process of a log without -f). */
    int pid();

    /**
     * A system call and its result.
     *
     * @param args     the arguments as strace printed them, split at top-level commas
     * @param result   the returned value, or {@code -errno}; meaningless when {@code unknown}
     * @param unknown  strace printed {@code = ?} (exit, exit_group, a call cut off)
     * @param errName  the errno's name ({@code ENOMEM}), or null on success
     * @param text     the call as written, for messages ({@code name(args)})
     */
    record Call(int line, int pid, String name, List<String> args, long result, boolean unknown, String errName,
                String text) implements TraceEvent {
        public boolean failed() {
            return errName != null;
        }

        /** The result as strace prints it. */
        public String resultText() {
            if (unknown) {
                return "?";
            }
            if (errName != null) {
                return "-1 " + errName;
            }
            return result > 0xffff || result < 0 || returnsAddress() ? "0x" + Long.toHexString(result)
                    : Long.toString(result);
        }

        /** Whether the call's result is an address (mmap, mremap, brk), printed in hex at any size. */
        public boolean returnsAddress() {
            return name.equals("mmap") || name.equals("mremap") || name.equals("brk");
        }

        /** {@code r}, a result of this call here, written as {@link #resultText()} writes the kernel's. */
        public String format(long r) {
            return returnsAddress() && !dev.specfault.fault.Errno.isError(r) ? "0x" + Long.toHexString(r)
                    : dev.specfault.fault.Errno.format(r);
        }
    }

    /**
     * {@code +++ exited with N +++}, {@code +++ killed by SIG +++}, or {@code L +++ superseded by
     * execve in pid T +++} (thread T ran execve and goes on as its leader L: the event is T's): the
     * task is gone.
     */
    record Exit(int line, int pid, String text) implements TraceEvent {
    }

    /** A line that could not be read: counted as unsupported and listed. */
    record Unparsed(int line, int pid, String text, String why) implements TraceEvent {
    }
}
