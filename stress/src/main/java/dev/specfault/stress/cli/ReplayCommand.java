package dev.specfault.stress.cli;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.Specfault;
import dev.specfault.stress.replay.MapsFile;
import dev.specfault.stress.replay.ReplayReport;
import dev.specfault.stress.replay.Replayer;
import dev.specfault.stress.replay.TraceEvent;
import dev.specfault.stress.replay.TraceParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./specfault replay TRACE}: replays a real program's memory system calls, as
 * {@code strace -f -y -e trace=memory,process} logged them, on each chosen design and checks that
 * every call gets the kernel's result (docs/replay.md). Mismatches are lines starting
 * {@code MISMATCH line N:} and exit code 1; each design's last line is
 * {@code DESIGN: replayed=N mismatches=M unsupported=U outside=O}.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replays an strace log (strace -f -y -e trace=memory,process) on each design and compares every result.",
                "Exit code 1 with MISMATCH lines if a call's result (or --maps, --touch) differs from the kernel's."})
public final class ReplayCommand implements Callable<Integer> {
    /** How many outside calls --verbose lists, and how many --touch mismatches are printed per design. */
    private static final int LIST_LIMIT = 50;
    /** --frames: enough for a process's first tables and pages; at most 64 GiB of emulated memory. */
    private static final long MIN_FRAMES = 64;
    private static final long MAX_FRAMES = 1L << 24;

    @Parameters(index = "0", paramLabel = "TRACE", description = "the strace log")
    Path trace;

    @Option(names = "--design", defaultValue = "all", description = "speculative, locked, kernel-lock, all, or a comma list (default ${DEFAULT-VALUE})")
    String design;

    @Option(names = "--arch", defaultValue = "x86", description = "x86 or arm64 (arm64: TASK_SIZE is 2^48, see docs/replay.md; default ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--initial-maps", paramLabel = "FILE", description = "/proc/PID/maps right after the first execve")
    Path initialMaps;

    @Option(names = "--maps", paramLabel = "FILE", description = "/proc/PID/maps at the end: the final layout must equal it page by page")
    Path maps;

    @Option(names = "--touch", description = "afterwards, fault every mapped page from several CPUs")
    boolean touch;

    @Option(names = "--cpus", defaultValue = "4", description = "emulated CPUs (threads) for --touch (default ${DEFAULT-VALUE})")
    int cpus;

    @Option(names = "--frames", paramLabel = "N", description = "frames (4 KiB) of the replay machine's memory:"
            + " what does not fit is counted as unsupported (default 4096, 8192 with --touch)")
    Long frames;

    @Option(names = "--max-map-count", paramLabel = "N", description = "the traced machine's vm.max_map_count"
            + " (default 65530, Linux's)")
    Integer maxMapCount;

    @Option(names = "--no-zero-page", description = "the traced kernel allocates a page for a read of private"
            + " anonymous memory, which then gives the area an anon_vma (mainline maps the zero page instead;"
            + " this project's machines allocate since 2026-12-01: docs/replay.md)")
    boolean noZeroPage;

    @Option(names = {"-v", "--verbose"}, description = "also list the calls outside the trace")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final CommandLine cl = spec.commandLine();
        final PrintWriter out = cl.getOut();
        final List<Design> designs = StressCommand.designs(cl, design);
        final Arch a = CheckCommand.arch(cl, arch);
        if (a == Arch.X86_64_LA57) {
            throw new CommandLine.ParameterException(cl, "--arch must be x86 or arm64 (LA57 would place above 47 bits)");
        }
        if (cpus < 1 || cpus > 64) {
            throw new CommandLine.ParameterException(cl, "--cpus must be 1..64");
        }
        final long nFrames = frames == null ? Replayer.defaultFrames(touch) : frames;
        final int mapCount = maxMapCount == null ? dev.specfault.fault.SpaceConfig.defaults(a).maxMapCount() : maxMapCount;
        if (mapCount < 1) {
            throw new CommandLine.ParameterException(cl, "--max-map-count must be at least 1: " + mapCount);
        }
        if (nFrames < MIN_FRAMES || nFrames > MAX_FRAMES) {
            throw new CommandLine.ParameterException(cl, "--frames must be " + MIN_FRAMES + ".." + MAX_FRAMES
                    + " (4 KiB each, up to 64 GiB): " + nFrames);
        }
        final long bytes = dev.specfault.pmap.phys.FrameAllocator.framesNeeded(nFrames, cpus)
                * dev.specfault.pmap.phys.PhysicalMemory.PAGE_SIZE;
        if (bytes > Outputs.maxDirectMemory()) {
            throw new CommandLine.ParameterException(cl, "--frames " + nFrames + " needs " + (bytes >> 20)
                    + " MiB of emulated memory; this JVM may allocate " + (Outputs.maxDirectMemory() >> 20)
                    + " MiB off-heap (-XX:MaxDirectMemorySize)");
        }
        final TraceParser.Trace t = TraceParser.parse(read(cl, trace, "TRACE"));
        if (t.events().isEmpty()) {
            throw new CommandLine.ParameterException(cl, "TRACE " + trace + " is empty: no system call in it"
                    + " (record it with strace -f -y -e trace=memory,process)");
        }
        if (t.events().stream().allMatch(e -> e instanceof TraceEvent.Unparsed)) {
            final TraceEvent.Unparsed u = (TraceEvent.Unparsed) t.events().get(0);
            throw new CommandLine.ParameterException(cl, "TRACE " + trace + " has no complete system call or exit in its "
                    + t.lines() + " lines (line " + u.line() + ": " + u.why() + "; record it with strace -f -y -e"
                    + " trace=memory,process)");
        }
        final long taskSize = dev.specfault.fault.SpaceConfig.defaults(a).taskSize();
        final List<MapsFile.Entry> init = initialMaps == null ? null : maps(cl, initialMaps, "--initial-maps", taskSize);
        final List<MapsFile.Entry> fin = maps == null ? null : maps(cl, maps, "--maps", taskSize);
        boolean mismatched = false;
        for (Design d : designs) {
            final ReplayReport r = new Replayer(new Replayer.Options(d, a, init, fin, touch, cpus, nFrames, mapCount, !noZeroPage), t).run();
            int touchLines = 0;
            for (String m : r.mismatches()) {
                if (m.startsWith("MISMATCH --touch") && ++touchLines > LIST_LIMIT) {
                    continue;
                }
                out.println(printable(m));
            }
            if (touchLines > LIST_LIMIT) {
                out.println("(" + (touchLines - LIST_LIMIT) + " more --touch mismatches)");
            }
            for (Map.Entry<String, List<Integer>> u : r.unsupported().entrySet()) {
                final List<Integer> lines = u.getValue();
                out.println("unsupported: " + printable(u.getKey()) + " x" + lines.size() + " (line "
                        + lines.stream().limit(10).map(String::valueOf).collect(Collectors.joining(", "))
                        + (lines.size() > 10 ? ", ..." : "") + ")");
            }
            if (verbose) {
                r.outsideCalls().stream().limit(LIST_LIMIT).forEach(c -> out.println("outside: " + printable(String.valueOf(c))));
                r.notes().forEach(n -> out.println("note: " + printable(n)));
            }
            out.println(d.cliName() + ": " + r.summary());
            mismatched |= !r.mismatches().isEmpty();
        }
        return mismatched ? Specfault.EXIT_VIOLATION : 0;
    }

    private static List<String> read(CommandLine cl, Path p, String what) {
        // Checked first: a FIFO or a device would block the read, a directory says "IOException".
        if (p.toString().isEmpty() || !Files.exists(p)) {
            throw new CommandLine.ParameterException(cl, what + " '" + p + "': no such file");
        }
        if (Files.isDirectory(p)) {
            throw new CommandLine.ParameterException(cl, what + " " + p + " is a directory");
        }
        if (!Files.isRegularFile(p)) {
            throw new CommandLine.ParameterException(cl, what + " " + p + " is not a regular file");
        }
        try {
            return Files.readAllLines(p, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new CommandLine.ParameterException(cl, what + " " + p + " cannot be read: " + Outputs.reason(e));
        }
    }

    /**
     * A maps snapshot: parsed, in address order without overlaps (as the kernel writes it), not empty,
     * and inside user space but for {@code [vsyscall]} (which both sides skip).
     */
    private static List<MapsFile.Entry> maps(CommandLine cl, Path p, String what, long taskSize) {
        final List<MapsFile.Entry> l;
        try {
            l = MapsFile.parse(read(cl, p, what));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, what + " " + p + ": " + e.getMessage());
        }
        if (l.isEmpty()) {
            throw new CommandLine.ParameterException(cl, what + " " + p + " has no mapping in it");
        }
        for (MapsFile.Entry e : l) {
            if (Long.compareUnsigned(e.end(), taskSize) > 0 && !e.name().equals("[vsyscall]")) {
                throw new CommandLine.ParameterException(cl, what + " " + p + ": line " + e.line()
                        + " lies above this architecture's user space (TASK_SIZE 0x" + Long.toHexString(taskSize) + ")");
            }
        }
        return l;
    }

    /**
     * A line quoted from the trace, with its control characters (an escape sequence in a path or a
     * comment) shown as '?': output off a terminal holds none, and on one the trace cannot drive it.
     */
    static String printable(String line) {
        final StringBuilder b = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            final char c = line.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }
}
