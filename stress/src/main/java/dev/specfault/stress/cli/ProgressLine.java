package dev.specfault.stress.cli;

import dev.specfault.stress.run.Cell;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The progress line of a running cell on a terminal: elapsed time and the running rate, rewritten
 * in place with a carriage return on standard error. Off a terminal (a pipe, a file, a test) there
 * is none, so logs hold no control characters.
 */
final class ProgressLine implements Cell.Progress {
    private final PrintStream err;
    private final String label;
    private long lastPages;  // confined to the thread that runs the cell (it calls update)
    private long lastNanos;  // likewise

    private ProgressLine(PrintStream err, String label) {
        this.err = err;
        this.label = label;
    }

    /** A progress line for {@code label} if standard output and error are a terminal, else {@code null}. */
    static Cell.Progress forTerminal(String label) {
        return ON_TERMINAL ? new ProgressLine(System.err, label) : null;
    }

    /**
     * Whether standard error is a terminal. {@link System#console()} (Java 17) looks at standard
     * input and output only: with {@code 2>log} on a terminal it is there, and the log got the line's
     * carriage returns and escapes. Standard error must be a terminal too, which Linux tells by what
     * file descriptor 2 is (a pseudo-terminal or a tty device).
     */
    private static final boolean ON_TERMINAL = System.console() != null && stderrIsTerminal();

    private static boolean stderrIsTerminal() {
        try {
            final String t = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/2")).toString();
            return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty") || t.equals("/dev/console");
        } catch (java.io.IOException | RuntimeException e) {
            return false; // not Linux, or no /proc: no progress line rather than escapes in a log
        }
    }

    @Override
    public void update(long elapsedNanos, long pages) {
        final double dt = (elapsedNanos - lastNanos) / 1e9;
        final double rate = dt > 0 ? (pages - lastPages) / dt : 0;
        lastPages = pages;
        lastNanos = elapsedNanos;
        err.print(String.format(Locale.ROOT, "\r\033[K%s  %5.1f s  %,12.0f pages/s", label, elapsedNanos / 1e9, rate));
        err.flush();
    }

    /** Clears the line (call after the cell). */
    static void clear() {
        if (ON_TERMINAL) {
            System.err.print("\r\033[K");
            System.err.flush();
        }
    }
}
