package dev.specfault.stress;

import dev.specfault.stress.cli.BenchCommand;
import dev.specfault.stress.cli.CheckCommand;
import dev.specfault.stress.cli.CompareCommand;
import dev.specfault.stress.cli.PteCommand;
import dev.specfault.stress.cli.ReplayCommand;
import dev.specfault.stress.cli.SrcuCommand;
import dev.specfault.stress.cli.StressCommand;
import dev.specfault.stress.cli.WorkloadsCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./specfault}: the command-line tool.
 *
 * <p>Exit codes: 0 success; 1 a correctness violation was found (a line starting
 * {@code VIOLATION} says what broke); 2 anything else — a bad argument (one line, never a stack
 * trace) or a failure of the tool itself.
 */
@Command(name = "specfault", mixinStandardHelpOptions = true,
        versionProvider = Specfault.Version.class,
        description = "A laboratory for page-fault concurrency: an emulated MMU and two fault-path designs.",
        subcommands = {CompareCommand.class, StressCommand.class, WorkloadsCommand.class, ReplayCommand.class,
            CheckCommand.class, PteCommand.class, BenchCommand.class, SrcuCommand.class, CommandLine.HelpCommand.class})
public final class Specfault implements Runnable {
    /** Exit code of a run that found a correctness violation. */
    public static final int EXIT_VIOLATION = 1;
    /** Exit code of a bad argument or a failure of the tool. */
    public static final int EXIT_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a sub-command is required");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the tool with the given streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        final CommandLine cl = new CommandLine(new Specfault());
        cl.setOut(out);
        cl.setErr(err);
        // bench passes JMH's own options (-wi 1 -f 1 ...) through to JMH's parser.
        cl.getSubcommands().get("bench").setUnmatchedOptionsArePositionalParams(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            final String where = ex.getCommandLine().getCommandName();
            ex.getCommandLine().getErr().println(where + ": " + oneLine(ex.getMessage())
                    + " (see " + qualifiedName(ex.getCommandLine()) + " --help)");
            return EXIT_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println(c.getCommandName() + ": " + describe(ex));
            return EXIT_ERROR;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // picocli hands only Exceptions to the handler above: an Error would end the JVM with a
            // stack trace and exit code 1, which means a violation.
            err.println("specfault: " + (e instanceof OutOfMemoryError ? "out of memory" : "stack overflow")
                    + (e.getMessage() == null ? "" : " (" + oneLine(e.getMessage()) + ")")
                    + ": the input is too large for this JVM (java -Xmx... -jar stress/target/specfault.jar to give it more)");
            return EXIT_ERROR;
        }
    }

    private static String qualifiedName(CommandLine c) {
        return c.getParent() == null ? c.getCommandName()
                : qualifiedName(c.getParent()) + " " + c.getCommandName();
    }

    private static String describe(Throwable t) {
        if (t instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            return oneLine(f.getFile() + ": " + dev.specfault.stress.cli.Outputs.reason(f));
        }
        final String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + oneLine(m));
    }

    /** The first non-blank line of a message (Lincheck's reports start with a blank line). */
    public static String firstLine(String m) {
        if (m == null) {
            return "";
        }
        for (String l : m.split("\n")) {
            if (!l.isBlank()) {
                return l.strip();
            }
        }
        return "";
    }

    /** Characters of an error line at most: a quoted input line is cut. */
    static final int MAX_ERROR = 300;

    /**
     * The first line of a message: errors are one line, printable (control characters and bytes a
     * binary input decoded into become {@code ?}) and at most {@value #MAX_ERROR} characters.
     */
    public static String oneLine(String m) {
        if (m == null) {
            return "";
        }
        final int nl = m.indexOf('\n');
        final String line = (nl < 0 ? m : m.substring(0, nl)).strip();
        final StringBuilder b = new StringBuilder(Math.min(line.length(), MAX_ERROR + 3));
        for (int i = 0; i < line.length() && b.length() < MAX_ERROR; i++) {
            final char c = line.charAt(i);
            b.append(Character.isISOControl(c) || c == '\uFFFD' || Character.isSurrogate(c) ? '?' : c);
        }
        if (line.length() > MAX_ERROR) {
            b.append("...");
        }
        return b.toString();
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String v = Specfault.class.getPackage().getImplementationVersion();
            return new String[] {"specfault " + (v == null ? "(development build)" : v)};
        }
    }
}
