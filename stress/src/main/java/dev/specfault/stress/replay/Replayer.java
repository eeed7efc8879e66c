package dev.specfault.stress.replay;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Errno;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.fault.OutOfFramesException;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.vma.Area;
import dev.specfault.vma.VmaFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replays a trace on one design and compares every call's result with the kernel's.
 *
 * <h2>The idea</h2>
 * Each traced process has an "mm" — one {@link AddressSpace}, shared by the tasks that share the
 * kernel's {@code mm_struct} (CLONE_VM threads, a vfork child until it execs or exits) — and each
 * call runs on its task's mm. Where the kernel chose an address (a non-fixed mmap, a moving
 * mremap) the call is replayed at that address ({@code MAP_FIXED_NOREPLACE}, {@code MREMAP_FIXED}),
 * so that the layouts keep step; every other call is replayed as written. Then the result must be
 * the kernel's: the same address or 0, the same errno, the same break.
 *
 * <h2>Memory outside the trace</h2>
 * Each mm keeps the ranges whose kernel state is unknown: everything after an execve whose maps
 * were not given (the loader, the program, the stack, the vdso are somewhere), nothing after the
 * first execve with {@code --initial-maps}. What a call shows the kernel did makes a range known —
 * a placement at X says [X, X + len) was free; a successful munmap, that the range is free now. A
 * call whose range touches unknown memory is counted "outside": it is not compared, and only what
 * is certain of its effect is applied (an mprotect that failed part-way into unknown memory makes
 * the rest of its range unknown).
 *
 * <pre>
 *   unknown:  [0 ........................................ TASK_SIZE)   after execve, no maps given
 *   mmap(NULL, 8192) = X      ->  [0 ... X) known [X+8192 ... TASK_SIZE)
 *   mprotect(ld.so's relro)   ->  outside (not compared)
 * </pre>
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after construction
 *   [c] owned by the replaying thread; --touch's threads only read the final space and machine,
 *       and hand their findings back through a concurrent queue joined before it is read
 * </pre>
 */
public final class Replayer {
    /**
     * How to replay: the design and architecture, the snapshots, {@code --touch}, the machine's
     * frames, the traced machine's {@code vm.max_map_count}, and whether its kernel maps the zero
     * page for a read of private anonymous memory ({@link SpaceConfig#zeroPage}).
     */
    public record Options(Design design, Arch arch, List<MapsFile.Entry> initialMaps, List<MapsFile.Entry> finalMaps,
                          boolean touch, int cpus, long frames, int maxMapCount, boolean zeroPage) {
        /** With the default machine: {@link #defaultFrames} frames, Linux's default map count, the zero page. */
        public Options(Design design, Arch arch, List<MapsFile.Entry> initialMaps, List<MapsFile.Entry> finalMaps,
                       boolean touch, int cpus) {
            this(design, arch, initialMaps, finalMaps, touch, cpus, defaultFrames(touch),
                    SpaceConfig.defaults(arch).maxMapCount(), true);
        }
    }

    /** The replay machine's frames unless {@code --frames} says otherwise: 4096 (8192 with {@code --touch}). */
    public static long defaultFrames(boolean touch) {
        return touch ? 8192 : 4096;
    }

    /** Errnos our mmap can return: any other failure depends on the file or the caller's rights. */
    private static final Set<String> MMAP_ERRNOS = Set.of("EINVAL", "ENOMEM", "EPERM", "EEXIST", "EOPNOTSUPP");
    /** An fd as strace -y prints it: the number, then the path, then "(deleted)" if it was unlinked. */
    private static final Pattern FD = Pattern.compile("^(-?\\d+)(?:<(.*)>(\\(deleted\\))?)?$");
    private static final Pattern CLONE_VM = Pattern.compile("\\bCLONE_VM\\b");
    /** The special mappings whose rules are modelled ([vdso]: no split, no growth; [vvar]s: also VM_PFNMAP). */
    private static final Map<String, FileObject.Kind> SPECIAL_KINDS = Map.of("[vdso]", FileObject.Kind.SPECIAL,
            "[vvar]", FileObject.Kind.PFN, "[vvar_vclock]", FileObject.Kind.PFN);
    private static final Pattern CLONE_THREAD = Pattern.compile("\\bCLONE_THREAD\\b");
    private static final Pattern CLONE_PARENT = Pattern.compile("\\bCLONE_PARENT\\b");
    /** A clone's exit signal (clone's flags, clone3's exit_signal), or a wait status of an exit or a kill. */
    private static final Pattern SIGCHLD = Pattern.compile("\\bSIGCHLD\\b");
    /** clone3's stack ({@code stack=0x..., stack_size=0x...}) and clone's ({@code child_stack=0x...}). */
    private static final Pattern STACK3 = Pattern.compile("\\bstack=(0x[0-9a-f]+), stack_size=(0x[0-9a-f]+)");
    private static final Pattern STACK = Pattern.compile("\\bchild_stack=(0x[0-9a-f]+)");
    /** The tid pointers a clone writes through: clone3's {@code child_tid=}/{@code parent_tid=}, clone's {@code child_tidptr=}. */
    private static final Pattern CHILD_TID = Pattern.compile("\\bchild_tid(?:ptr)?=(0x[0-9a-f]+)");
    private static final Pattern PARENT_TID = Pattern.compile("\\bparent_tid=(0x[0-9a-f]+)");
    private static final Pattern CLONE_NEWPID = Pattern.compile("\\bCLONE_NEWPID\\b");
    private static final Pattern SI_PID = Pattern.compile("\\bsi_pid=(\\d+)");
    private static final Pattern SI_CODE = Pattern.compile("\\bsi_code=(\\w+)");
    private static final int TOUCH_CHUNK = 1024;
    /**
     * The most pages {@code --touch} faults (16 GiB of mappings, some seconds): an arm64 replay of an
     * x86 trace, say, can map terabytes, which could be neither listed nor touched.
     */
    private static final long TOUCH_LIMIT = 1L << 22;
    /** Why a call the kernel did could not be replayed: the emulator's limit, not the design's answer. */
    private static final String FRAMES_RAN_OUT = "the replay machine's frames ran out";

    /** One mm_struct: the space, the tasks using it, the ranges whose kernel state is unknown. */
    private static final class Mm {
        final AddressSpace space;
        final IntervalSet unknown;
        final boolean brkKnown;
        int users = 1;

        Mm(AddressSpace space, IntervalSet unknown, boolean brkKnown) {
            this.space = space;
            this.unknown = unknown;
            this.brkKnown = brkKnown;
        }
    }

    private static final class Task {
        final int tgid;
        Mm mm;

        Task(int tgid, Mm mm) {
            this.tgid = tgid;
            this.mm = mm;
        }
    }

    private final Options o; // [I]
    private final List<TraceEvent> events; // [I]
    private final List<Integer> ends; // [I] the line where each event ended
    private final boolean[] done; // [c] events replayed ahead of their turn (applyInFlight)
    /** The earliest start line of the events from index j on: where applyInFlight's scan can stop. */
    private final int[] minStartFrom; // [I]
    private int inFlightLimit = Integer.MAX_VALUE; // [c] earliest end line of an applyInFlight chain's calls
    private final ReplayReport report; // [c]
    private final Map<String, Long> extents = new HashMap<>(); // [c] furthest mapping of each path
    private final Map<String, FileObject> files = new LinkedHashMap<>(); // [c]
    /** The files sized by their mappings (unlinked, or not readable here): their real end is not known. */
    private final Set<FileObject> sizedByMappings = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()); // [c]
    private final List<FileObject> specials = new ArrayList<>(); // [c] made for --initial-maps, closed at the end
    private final Map<Integer, Task> tasks = new HashMap<>(); // [c] pid -> task
    private final ProcessTree tree = new ProcessTree(); // [c] parents and children, for wait4 and waitid
    private final List<Mm> mms = new ArrayList<>(); // [c] every space made, exited at the end
    private final boolean traceHasExecve; // [I]
    /**
     * Every child a clone, fork or vfork made shows in the trace under the pid its creator was told,
     * and none was made with CLONE_PARENT or CLONE_NEWPID: the process tree's verdicts can be trusted.
     */
    private final boolean pidsCertain; // [I]
    private Machine machine; // [c]
    /** The machine's refused frame allocations when the current call began. */
    private long oomsAtCall; // [c]
    /** The first process's mm: what --maps and --touch look at when the replay is over. */
    private Mm main; // [c]
    private int rootPid; // [c]
    private boolean sawExec; // [c]
    private int at; // [c] index of the event being replayed

    public Replayer(Options o, TraceParser.Trace trace) {
        this.o = o;
        this.events = trace.events();
        this.ends = trace.ends();
        this.done = new boolean[events.size()];
        this.minStartFrom = new int[events.size() + 1];
        minStartFrom[events.size()] = Integer.MAX_VALUE;
        for (int j = events.size() - 1; j >= 0; j--) {
            minStartFrom[j] = Math.min(events.get(j).line(), minStartFrom[j + 1]);
        }
        this.report = new ReplayReport(o.design().cliName());
        boolean exec = false;
        for (TraceEvent e : events) {
            if (e instanceof TraceEvent.Call c) {
                exec |= isExec(c.name()) && !c.failed() && !c.unknown();
                if (c.name().equals("mmap") && c.args().size() == 6) {
                    final Matcher m = FD.matcher(c.args().get(4));
                    if (m.matches() && m.group(2) != null) {
                        try {
                            extend(m.group(3) != null ? m.group(2) + " (deleted)" : m.group(2),
                                    Values.number(c.args().get(5)) + Values.number(c.args().get(1)));
                        } catch (IllegalArgumentException ignored) {
                            // an unreadable call: it is reported when it is replayed
                        }
                    }
                }
            }
        }
        for (List<MapsFile.Entry> l : Arrays.asList(o.initialMaps(), o.finalMaps())) {
            if (l != null) {
                l.forEach(e -> extend(e.name(), e.offset() + e.end() - e.start()));
            }
        }
        this.traceHasExecve = exec;
        final Set<Integer> linePids = new java.util.HashSet<>();
        for (TraceEvent e : events) {
            linePids.add(e.pid());
        }
        boolean certain = true;
        for (TraceEvent e : events) {
            if (e instanceof TraceEvent.Call c && isClone(c.name()) && !c.failed() && !c.unknown()) {
                certain &= !CLONE_PARENT.matcher(c.text()).find() && !CLONE_NEWPID.matcher(c.text()).find()
                        && (CLONE_THREAD.matcher(c.text()).find() || linePids.contains((int) c.result()));
            }
        }
        this.pidsCertain = certain;
    }

    private static boolean isClone(String name) {
        return name.equals("clone") || name.equals("clone3") || name.equals("fork") || name.equals("vfork");
    }

    private void extend(String name, long extent) {
        extents.merge(name, Math.max(0, extent), Math::max);
    }

    private static boolean isExec(String name) {
        return name.equals("execve") || name.equals("execveat");
    }

    /** Replays every event, then compares with {@code --maps} and touches with {@code --touch}. */
    public ReplayReport run() {
        machine = Machine.builder(o.arch()).cpus(o.cpus()).frameLimit(o.frames()).seed(1).build();
        try {
            for (at = 0; at < events.size(); at++) {
                if (!done[at]) {
                    step(events.get(at));
                }
            }
            if (main != null) {
                if (o.finalMaps() != null) {
                    compareMaps(main, o.finalMaps());
                }
                if (o.touch()) {
                    touch(main);
                }
                for (String v : main.space.checkQuiet()) {
                    report.mismatch("MISMATCH invariant after the replay: " + v);
                }
            }
        } finally {
            for (Mm m : mms) {
                m.space.exit();
            }
            for (Mm m : mms) {
                m.space.quiesce();
            }
            files.values().forEach(FileObject::close);
            specials.forEach(FileObject::close);
        }
        return report;
    }

    // ------------------------------------------------------------------------------------------
    // Events

    private void step(TraceEvent e) {
        if (e instanceof TraceEvent.Unparsed u) {
            report.unsupported("unreadable line (" + u.why() + ")", u.line());
            return;
        }
        if (e instanceof TraceEvent.Exit x) {
            taskGone(x.pid());
            return;
        }
        final TraceEvent.Call c = (TraceEvent.Call) e;
        if (c.errName() != null && c.errName().startsWith("ERESTART")) {
            report.unsupported(c.name() + " (interrupted: " + c.errName() + ")", c.line());
            return;
        }
        oomsAtCall = machine.frameStats().ooms();
        final String bad = malformed(c);
        if (bad != null) {
            report.unsupported(c.name() + " (unreadable: " + bad + ")", c.line());
            return;
        }
        final Task self = tasks.get(c.pid());
        final Mm mm = self == null ? null : self.mm;
        final List<long[]> mine = mm == null || !LAYOUT_CALLS.contains(c.name()) ? List.of() : footprint(c, mm);
        final StringBuilder beside = new StringBuilder();
        final boolean ambiguous = !mine.isEmpty() && ambiguous(c, mm, mine, beside);
        report.begin();
        try {
            stepCall(c);
            if (ambiguous && report.mismatched()) {
                // Another thread's call on the same pages ran at the same time: the kernel applied
                // the two in an order the trace does not show, and a mismatch of this call may be
                // the other order's.
                report.demote(c, "line " + c.line() + " ran beside line " + beside + " of another thread on the"
                        + " same pages, in an order the trace does not show");
            }
        } finally {
            report.end();
        }
    }

    /** The calls whose order against another thread's matters: they change or read the layout. */
    private static final Set<String> LAYOUT_CALLS = Set.of("mmap", "munmap", "mprotect", "pkey_mprotect", "mremap",
            "madvise", "brk", "mlock", "mlock2", "munlock", "mlockall", "munlockall", "mseal", "syscall_0x1ce", "msync",
            "mincore");
    /** Of those, the ones that change nothing: they cannot have changed another call's result. */
    private static final Set<String> READ_ONLY_CALLS = Set.of("msync", "mincore");
    /** Failures that come before anything is changed (arguments, a target in use). */
    private static final Set<String> NO_CHANGE_ERRNOS = Set.of("EINVAL", "EFAULT", "EEXIST", "EBADF");

    /**
     * The pages {@code c} touches, as page-rounded ranges within user space: its range (an mremap's
     * old and new ranges; a brk's from the old break to the new), all of user space for mlockall and
     * munlockall, none when its arguments cannot be read.
     */
    private static List<long[]> footprint(TraceEvent.Call c, Mm m) {
        final long top = m.space.config().taskSize();
        final List<long[]> out = new ArrayList<>(2);
        try {
            switch (c.name()) {
                case "mlockall": case "munlockall":
                    out.add(new long[] {0, top});
                    break;
                case "brk": {
                    // from the heap's start: the break before this call is not known once it ran
                    final long nb = arg(c, 0);
                    if (nb != 0) {
                        clampAdd(out, m.space.startBrk(), Math.max(nb, m.space.currentBrk()), top);
                    }
                    break;
                }
                case "mremap": {
                    final long old = arg(c, 0);
                    final long newLen = arg(c, 2);
                    clampAdd(out, old, old + Math.max(arg(c, 1), newLen), top);
                    if (!c.failed() && !c.unknown() && c.result() != old) {
                        clampAdd(out, c.result(), c.result() + newLen, top);
                    }
                    if (c.args().size() > 4) {
                        clampAdd(out, arg(c, 4), arg(c, 4) + newLen, top);
                    }
                    break;
                }
                case "mmap": {
                    final long len = arg(c, 1);
                    if (!c.failed() && !c.unknown()) {
                        clampAdd(out, c.result(), c.result() + len, top);
                    } else if ((Values.flags(c.args().get(3), Values.MAP)
                            & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0) {
                        clampAdd(out, arg(c, 0), arg(c, 0) + len, top);
                    }
                    break;
                }
                default:
                    clampAdd(out, arg(c, 0), arg(c, 0) + arg(c, 1), top);
                    break;
            }
        } catch (Values.Unreadable | IndexOutOfBoundsException x) {
            return List.of(); // a line malformed() refuses when its turn comes
        }
        return out;
    }

    /** Adds [start, end) rounded out to pages and cut at {@code top}, if anything is left. */
    private static void clampAdd(List<long[]> out, long start, long end, long top) {
        if (Long.compareUnsigned(end, start) < 0 || Long.compareUnsigned(end, top) > 0) {
            end = top;
        }
        final long s = start & ~(Mman.PAGE_SIZE - 1);
        final long e = Mman.pageAlign(end);
        if (Long.compareUnsigned(s, e) < 0 && Long.compareUnsigned(s, top) < 0) {
            out.add(new long[] {s, Math.min(e, top)});
        }
    }

    /**
     * Whether a call of another thread of the same mm that may have changed the layout ran while
     * {@code c} did (one started before the other ended) on some of the pages {@code c} touches
     * ({@code mine}); the lines of those calls go to {@code beside}.
     */
    private boolean ambiguous(TraceEvent.Call c, Mm m, List<long[]> mine, StringBuilder beside) {
        final int start = c.line();
        final int end = ends.get(at);
        final List<TraceEvent.Call> others = new ArrayList<>();
        // ended after c started: the events are in the order they ended, but for clones (in the
        // order they started), which are not memory calls, so the scan may stop at the first that
        // ended before
        for (int j = at - 1; j >= 0 && ends.get(j) > start; j--) {
            if (events.get(j) instanceof TraceEvent.Call y) {
                others.add(y);
            }
        }
        for (int j = at + 1; j < events.size() && minStartFrom[j] < end; j++) { // started before c ended
            if (events.get(j) instanceof TraceEvent.Call y && y.line() < end) {
                others.add(y); // replayed ahead already or not: it ran beside c all the same
            }
        }
        for (TraceEvent.Call y : others) {
            final Task t = tasks.get(y.pid());
            if (y.pid() == c.pid() || t == null || t.mm != m || !LAYOUT_CALLS.contains(y.name())
                    || READ_ONLY_CALLS.contains(y.name()) || y.failed() && NO_CHANGE_ERRNOS.contains(y.errName())) {
                continue;
            }
            if (intersects(footprint(y, m), mine)) {
                beside.append(beside.length() == 0 ? "" : ", ").append(y.line());
            }
        }
        return beside.length() > 0;
    }

    private static boolean intersects(List<long[]> a, List<long[]> b) {
        for (long[] x : a) {
            for (long[] y : b) {
                if (Math.max(x[0], y[0]) < Math.min(x[1], y[1])) {
                    return true;
                }
            }
        }
        return false;
    }

    private void stepCall(TraceEvent.Call c) {
        try {
            switch (c.name()) {
                case "execve": case "execveat": exec(c); break;
                case "clone": case "clone3": case "fork": case "vfork": clone(c); break;
                case "exit":
                    report.replayed();
                    taskGone(c.pid());
                    break;
                case "exit_group": exitGroup(c); break;
                case "mmap": mmap(c); break;
                case "munmap": munmap(c); break;
                case "mprotect": mprotect(c); break;
                case "pkey_mprotect": pkeyMprotect(c); break;
                case "mseal": case "syscall_0x1ce": mseal(c); break;
                case "msync": msync(c); break;
                case "mincore": mincore(c); break;
                case "madvise": madvise(c); break;
                case "brk": brk(c); break;
                case "mremap": mremap(c); break;
                case "mlock": case "mlock2": case "munlock": case "mlockall": case "munlockall":
                    lockCall(c);
                    break;
                case "wait4": wait4(c); break;
                case "waitid": waitid(c); break;
                case "kill": case "tkill": case "tgkill": signal(c); break;
                default: report.unsupported(c.name(), c.line()); break;
            }
        } catch (OutOfFramesException x) {
            report.unsupported(c.name() + " (" + FRAMES_RAN_OUT + ")", c.line());
        } catch (Values.Unreadable x) {
            report.unsupported(c.name() + " (unreadable arguments)", c.line());
        } catch (RuntimeException x) {
            // The emulator's own failure, not the trace's: said as such, never counted unsupported.
            throw new IllegalStateException("internal error replaying line " + c.line() + " (" + c.name() + "): " + x, x);
        }
    }

    /** How many arguments strace prints for each replayed call: mremap's fifth only with MREMAP_FIXED. */
    private static final Map<String, int[]> ARITY = Map.ofEntries(Map.entry("mmap", new int[] {6}),
            Map.entry("munmap", new int[] {2}), Map.entry("mprotect", new int[] {3}),
            Map.entry("pkey_mprotect", new int[] {4}), Map.entry("madvise", new int[] {3}), Map.entry("brk", new int[] {1}),
            Map.entry("mremap", new int[] {4, 5}), Map.entry("mlock", new int[] {2}), Map.entry("mlock2", new int[] {3}),
            Map.entry("munlock", new int[] {2}), Map.entry("mseal", new int[] {3}),
            Map.entry("msync", new int[] {3}), Map.entry("mincore", new int[] {3}), Map.entry("syscall_0x1ce", new int[] {6}), Map.entry("mlockall", new int[] {1}), Map.entry("munlockall", new int[] {0}),
            Map.entry("wait4", new int[] {4}), Map.entry("waitid", new int[] {5}), Map.entry("kill", new int[] {2}),
            Map.entry("tkill", new int[] {2}), Map.entry("tgkill", new int[] {3}));
    /** Linux's PID_MAX_LIMIT: no pid is larger. */
    private static final long PID_MAX_LIMIT = 1L << 22;

    /**
     * Why the call's line cannot be what strace prints for a real call, or null: the wrong number of
     * arguments, a successful mmap or mremap at an unaligned address, a clone whose result is no pid
     * (or the caller's own).
     */
    private static String malformed(TraceEvent.Call c) {
        final int[] n = ARITY.get(c.name());
        if (n != null && java.util.Arrays.stream(n).noneMatch(k -> k == c.args().size())
                && !(c.name().equals("munlockall") && c.args().size() == 1 && c.args().get(0).isBlank())) {
            return c.args().size() + " arguments";
        }
        if (c.failed() || c.unknown()) {
            return null;
        }
        if ((c.name().equals("mmap") || c.name().equals("mremap")) && !Mman.aligned(c.result())) {
            return "the result 0x" + Long.toHexString(c.result()) + " is not page-aligned";
        }
        if ((c.name().equals("clone") || c.name().equals("clone3") || c.name().equals("fork") || c.name().equals("vfork"))
                && (c.result() <= 0 || c.result() > PID_MAX_LIMIT || c.result() == c.pid())) {
            return "the result " + c.result() + " is not a child's pid";
        }
        return null;
    }

    /** Whether the replay machine refused a frame during the current call: its limit, not the design's answer. */
    private boolean ranOutOfFrames() {
        return machine.frameStats().ooms() > oomsAtCall;
    }

    private Task task(int pid) {
        Task t = tasks.get(pid);
        if (t == null) {
            // A process we did not see start (the one strace forked before its execve, or one it
            // attached to): its memory is unknown, unless the trace never execs and maps were given.
            final boolean initial = !traceHasExecve && o.initialMaps() != null && main == null;
            t = new Task(pid, fresh(pid, initial));
            tasks.put(pid, t);
            if (main == null) {
                main = t.mm;
                rootPid = pid;
                if (at < events.size() && events.get(at) instanceof TraceEvent.Call c && c.pid() == pid
                        && isExec(c.name()) && !c.failed() && !c.unknown()) {
                    tree.childless(pid); // strace -f PROG: the process it forked for PROG, childless at its execve
                }
            }
        }
        return t;
    }

    /** A new mm as execve leaves it: from {@code --initial-maps}, or all unknown. */
    private Mm fresh(int pid, boolean initial) {
        SpaceConfig cfg = SpaceConfig.defaults(o.arch()).withInitialStack(false).withMaxMapCount(o.maxMapCount())
                .withZeroPage(o.zeroPage());
        Long brkStart = null;
        MapsFile.Entry heap = null;
        if (initial) {
            for (MapsFile.Entry e : o.initialMaps()) {
                if (e.name().equals("[heap]")) {
                    heap = e;
                }
            }
        }
        brkStart = heap != null ? Long.valueOf(heap.start()) : firstBrk(pid);
        final boolean brkKnown = brkStart != null && Mman.aligned(brkStart) && brkStart >= cfg.mmapMinAddr()
                && Long.compareUnsigned(brkStart, cfg.taskSize()) < 0;
        if (brkKnown) {
            cfg = cfg.withBrkStart(brkStart);
        }
        final AddressSpace s = Spaces.create(new SpaceOptions(o.design(), machine).name("pid" + pid).config(cfg));
        final Mm m = new Mm(s, new IntervalSet(), brkKnown);
        mms.add(m);
        if (initial) {
            applyInitialMaps(m, heap);
        } else {
            m.unknown.add(0, cfg.taskSize());
        }
        return m;
    }

    /** The break a new program of {@code pid} starts with: the result of its first brk(NULL). */
    private Long firstBrk(int pid) {
        for (int i = at + 1; i < events.size(); i++) {
            if (events.get(i) instanceof TraceEvent.Call c && c.pid() == pid) {
                if (isExec(c.name()) && !c.failed()) {
                    return null;
                }
                if (c.name().equals("brk")) {
                    try {
                        return Values.number(c.args().get(0)) == 0 && !c.failed() && !c.unknown() ? c.result() : null;
                    } catch (IllegalArgumentException | IndexOutOfBoundsException x) {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    private void applyInitialMaps(Mm m, MapsFile.Entry heap) {
        final AddressSpace s = m.space;
        for (MapsFile.Entry e : o.initialMaps()) {
            final long len = e.end() - e.start();
            if (Long.compareUnsigned(e.end(), s.config().taskSize()) > 0 || e == heap) {
                continue; // [vsyscall] is above user space on both sides; the heap is the break
            }
            int flags = Mman.MAP_FIXED | (e.shared() ? Mman.MAP_SHARED : Mman.MAP_PRIVATE);
            FileObject f = null;
            if (e.isSpecial() && SPECIAL_KINDS.containsKey(e.name())) {
                // The kernel's special mappings, with their rules (FileObject.Kind): an object of
                // their own each, so they merge with nothing.
                f = new FileObject(e.name(), Math.min(len, FileObject.MAX_SIZE), machine.frames(), SPECIAL_KINDS.get(e.name()));
                specials.add(f);
            } else if (e.isFile() || e.isSpecial()) {
                f = file(e.name()); // a special mapping gets an object of its own: it merges with nothing
            } else if (e.name().equals("[stack]")) {
                flags |= Mman.MAP_GROWSDOWN;
            }
            final long r = s.mmap(e.start(), len, e.prot(), flags, f, f == null ? 0 : e.offset());
            if (r != e.start()) {
                report.mismatch("MISMATCH --initial-maps line " + e.line() + ": mapping it gave " + Errno.format(r));
            }
        }
        if (heap != null) {
            final long r = s.brk(heap.end());
            if (r != heap.end()) {
                report.mismatch("MISMATCH --initial-maps line " + heap.line() + ": the [heap] could not be made ("
                        + Errno.format(r) + ")");
            }
        }
    }

    /** One object per path per replay, shared by every mapping of it, as the page cache is. */
    private FileObject file(String path) {
        return files.computeIfAbsent(path, p -> {
            long size = extents.getOrDefault(p, 0L);
            boolean known = false;
            try {
                final Path real = Path.of(p);
                if (p.startsWith("/") && Files.isRegularFile(real) && Files.isReadable(real)) {
                    size = Files.size(real);
                    known = true;
                }
            } catch (java.io.IOException | RuntimeException x) {
                // not readable here: sized to cover every mapping of it
            }
            if (size > FileObject.MAX_SIZE) {
                report.note(p + " is " + size + " bytes: its page cache here stops at " + FileObject.MAX_SIZE
                        + " (an access past it gives SIGBUS; the layout is replayed all the same)");
                size = FileObject.MAX_SIZE;
            }
            final FileObject f = new FileObject(p, size, machine.frames());
            if (!known) {
                sizedByMappings.add(f);
            }
            return f;
        });
    }

    /**
     * Whether [start, end) maps a file of unknown size here ({@link #sizedByMappings}): what a
     * populate or an mlock there finds past the real end (EFAULT, ENOMEM) is not known.
     */
    private boolean mapsAFileOfUnknownSize(AddressSpace s, long start, long end) {
        if (sizedByMappings.isEmpty()) {
            return false;
        }
        for (Area a : s.areas()) {
            if (a.start() < end && start < a.end() && a.backing() instanceof FileObject f && sizedByMappings.contains(f)) {
                return true;
            }
        }
        return false;
    }

    private void release(Mm m) {
        if (--m.users == 0 && m != main) {
            m.space.exit();
        }
    }

    private void taskGone(int pid) {
        final Task t = tasks.remove(pid);
        if (t != null) {
            release(t.mm);
            tree.threadGone(pid);
            if (tasks.values().stream().noneMatch(x -> x.tgid == t.tgid)) {
                tree.died(t.tgid);
            }
        }
    }

    private void exitGroup(TraceEvent.Call c) {
        report.replayed();
        final Task t = tasks.get(c.pid());
        if (t == null) {
            return;
        }
        final List<Integer> group = new ArrayList<>();
        tasks.forEach((pid, x) -> {
            if (x.tgid == t.tgid) {
                group.add(pid);
            }
        });
        group.forEach(this::taskGone);
    }

    private void exec(TraceEvent.Call c) {
        report.replayed();
        if (c.failed() || c.unknown()) {
            return;
        }
        final Task t = task(c.pid());
        // de_thread: the other threads of the group are gone.
        final List<Integer> others = new ArrayList<>();
        tasks.forEach((pid, x) -> {
            if (x.tgid == t.tgid && pid != c.pid()) {
                others.add(pid);
            }
        });
        others.forEach(this::taskGone);
        final boolean first = !sawExec;
        sawExec = true;
        final Mm old = t.mm;
        t.mm = fresh(c.pid(), first && o.initialMaps() != null);
        if (c.pid() == rootPid) {
            main = t.mm; // the program the first process runs now: its maps are the ones saved at its exit
        }
        release(old);
    }

    private void clone(TraceEvent.Call c) {
        if (c.failed() || c.unknown()) {
            report.replayed();
            return;
        }
        final Task parent = task(c.pid());
        final int child = (int) c.result();
        final boolean vm = c.name().equals("vfork") || CLONE_VM.matcher(c.text()).find();
        final boolean thread = CLONE_THREAD.matcher(c.text()).find();
        final Mm mm;
        if (vm) {
            report.replayed();
            mm = parent.mm;
            mm.users++;
        } else {
            final AddressSpace f = parent.mm.space.fork();
            if (f == null && ranOutOfFrames()) {
                report.unsupported(c.name() + " (" + FRAMES_RAN_OUT + ")", c.line());
                return;
            }
            report.replayed();
            if (f == null) {
                report.mismatch("MISMATCH line " + c.line() + ": " + c.text() + " = " + c.resultText()
                        + " (kernel), " + o.design().cliName() + " could not fork (ENOMEM)");
                mm = fresh(child, false);
            } else {
                mm = new Mm(f, parent.mm.unknown.copy(), parent.mm.brkKnown);
                mms.add(mm);
            }
        }
        final Task old = tasks.put(child, new Task(thread ? parent.tgid : child, mm));
        if (old != null) {
            release(old.mm);
        }
        written(c, parent.mm, mm);
        if (!thread) {
            final int p = CLONE_PARENT.matcher(c.text()).find() ? tree.parentOf(parent.tgid) : parent.tgid;
            tree.born(p, c.pid(), child, c.name().equals("fork") || c.name().equals("vfork")
                    || SIGCHLD.matcher(c.text()).find());
        }
    }

    /**
     * The memory a successful clone shows was written, which no trace line says: the new thread's
     * stack (its caller put the thread's first data at the top, and the thread's first frame goes
     * there), and the tid the kernel stores for CLONE_PARENT_SETTID (in the parent) and
     * CLONE_CHILD_SETTID (in the child). A store there makes the page's area touched, as in the
     * kernel (an anon_vma: whether a later move keeps the area's offset, and so whether it merges).
     */
    private void written(TraceEvent.Call c, Mm parent, Mm child) {
        final String t = c.text();
        Matcher m = STACK3.matcher(t);
        if (m.find()) {
            final long top = Values.number(m.group(1)) + Values.number(m.group(2));
            store(child, top - 8);
        } else if ((m = STACK.matcher(t)).find() && Values.number(m.group(1)) != 0) {
            store(child, Values.number(m.group(1)) - 8);
        }
        if (t.contains("CLONE_PARENT_SETTID") && (m = PARENT_TID.matcher(t)).find()) {
            store(parent, Values.number(m.group(1)));
        }
        if (t.contains("CLONE_CHILD_SETTID") && (m = CHILD_TID.matcher(t)).find()) {
            store(child, Values.number(m.group(1)));
        }
    }

    /** A store of 0 at {@code va} (8-aligned) where the replay knows the memory; its result is not looked at. */
    private void store(Mm m, long va) {
        final long at = va & ~7L;
        if (Long.compareUnsigned(at, m.space.config().taskSize()) >= 0
                || m.unknown.intersects(at & ~(Mman.PAGE_SIZE - 1), (at & ~(Mman.PAGE_SIZE - 1)) + Mman.PAGE_SIZE)) {
            return;
        }
        final Cpu cpu = machine.cpu(0);
        cpu.bind();
        try {
            m.space.store(cpu, at, 0);
        } finally {
            cpu.unbind();
        }
    }

    // ------------------------------------------------------------------------------------------
    // wait4, waitid: no effect on memory, but the process tree the replay keeps must be the kernel's

    /** What a wait reported of its child. */
    private enum Report { EXIT, STOP, CONTINUE, UNKNOWN }

    /** wait4's status as strace decodes it ({@code [{WIFEXITED(s) && ...}]}); NULL or an address: unknown. */
    private static Report statusReport(String status) {
        if (status.contains("WIFEXITED") || status.contains("WIFSIGNALED")) {
            return Report.EXIT;
        }
        return status.contains("WIFSTOPPED") ? Report.STOP : status.contains("WIFCONTINUED") ? Report.CONTINUE
                : Report.UNKNOWN;
    }

    /** waitid's siginfo ({@code {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=...}}). */
    private static Report infoReport(String info) {
        final Matcher m = SI_CODE.matcher(info);
        if (!m.find()) {
            return Report.UNKNOWN;
        }
        switch (m.group(1)) {
            case "CLD_EXITED": case "CLD_KILLED": case "CLD_DUMPED": return Report.EXIT;
            case "CLD_STOPPED": case "CLD_TRAPPED": return Report.STOP;
            case "CLD_CONTINUED": return Report.CONTINUE;
            default: return Report.UNKNOWN;
        }
    }

    /** {@code wait4(pid, status, options, rusage)}: kernel_wait4's checks, then do_wait's answer. */
    private void wait4(TraceEvent.Call c) {
        final long which = arg(c, 0);
        final int options = Values.flags(c.args().get(2), ProcessTree.OPTIONS);
        final long expect = (options & ~ProcessTree.WAIT4_VALID) != 0 ? -Errno.EINVAL
                : which == Integer.MIN_VALUE ? -Errnos.ESRCH : 0;
        final long reported = c.failed() || c.unknown() ? 0 : c.result();
        if (!c.failed() && !c.unknown() && which > 0 && reported != 0 && reported != which) {
            waitMismatch(c, "a wait for pid " + which + " reports that pid or none");
            return;
        }
        // wait4 always waits for exits (kernel_wait4 adds WEXITED).
        waitFor(c, which, options | ProcessTree.WEXITED, expect, true, reported, statusReport(c.args().get(1)));
    }

    /** {@code waitid(idtype, id, infop, options, rusage)}: kernel_waitid's checks, then do_wait's answer. */
    private void waitid(TraceEvent.Call c) {
        final String type = Values.uncomment(c.args().get(0));
        final int options = Values.flags(c.args().get(3), ProcessTree.OPTIONS);
        long which = 0; // P_PGID, P_PIDFD: a process group, a pidfd (strace -y prints its path): not known here
        long expect = 0;
        boolean judged = false;
        switch (type) {
            case "P_ALL":
                which = -1;
                judged = true;
                break;
            case "P_PID": {
                final long id = arg(c, 1);
                which = id <= 0 ? 0 : id;
                expect = id <= 0 ? -Errno.EINVAL : 0;
                judged = true;
                break;
            }
            case "P_PGID": case "P_PIDFD": break;
            default: expect = -Errno.EINVAL; break;
        }
        if ((options & ~ProcessTree.WAITID_VALID) != 0
                || (options & (ProcessTree.WEXITED | ProcessTree.WUNTRACED | ProcessTree.WCONTINUED)) == 0) {
            expect = -Errno.EINVAL;
        }
        final String info = Values.uncomment(c.args().get(2));
        final Matcher pid = SI_PID.matcher(info);
        final long reported = c.failed() || c.unknown() ? 0 : pid.find() ? Long.parseLong(pid.group(1))
                : info.startsWith("{") ? 0 : which > 0 ? which : -1; // NULL: the pid asked for, or unknown
        if (!c.failed() && !c.unknown() && c.result() != 0) {
            waitMismatch(c, "waitid returns 0 when it succeeds");
            return;
        }
        waitFor(c, which, options, expect, judged, reported, infoReport(info));
    }

    /**
     * The wait's answer against its arguments, then against the replay's process tree. What the
     * kernel did is applied to the tree (a child reported exited and not kept by WNOWAIT is gone);
     * the tree's own verdicts (a child the kernel could not have reported, ECHILD with a child
     * running, ...) are given only where it is certain ({@link #treeCertain}), else the call is
     * outside. Exits the trace shows (+++ exited) always come before a wait reports them: a traced
     * zombie is reported to its parent only after strace has reaped it.
     *
     * @param which    the child waited for: -1 any, a pid, 0 a process group or a pidfd (not known here)
     * @param expect   the error the arguments alone give, or 0
     * @param judged   whether the arguments' errors are all known here (not for P_PGID, P_PIDFD)
     * @param reported the pid the kernel reported (0: none, with WNOHANG; -1: not printed)
     */
    private void waitFor(TraceEvent.Call c, long which, int options, long expect, boolean judged, long reported,
                         Report rep) {
        if (expect != 0) {
            if (c.failed() && c.result() == expect) {
                report.replayed();
            } else {
                waitMismatch(c, "its arguments give " + Errnos.format(expect));
            }
            return;
        }
        if (c.failed() && judged && (c.result() == -Errno.EINVAL || c.result() == -Errnos.ESRCH)) {
            waitMismatch(c, "its arguments are valid");
            return;
        }
        if (c.failed() && c.result() != -Errnos.ECHILD) {
            report.unsupported(c.name() + " (" + c.errName() + ")", c.line()); // EINTR, EFAULT, EBADF
            return;
        }
        if (c.unknown()) {
            report.outside(c);
            return;
        }
        if (!c.failed()) {
            final String wrong = rep == Report.STOP && (options & ProcessTree.WUNTRACED) == 0 ? "a stop without WUNTRACED"
                    : rep == Report.CONTINUE && (options & ProcessTree.WCONTINUED) == 0 ? "a continue without WCONTINUED"
                    : rep == Report.EXIT && (options & ProcessTree.WEXITED) == 0 ? "an exit without WEXITED"
                    : reported == 0 && (options & ProcessTree.WNOHANG) == 0 ? "no answer without WNOHANG" : null;
            if (wrong != null) {
                waitMismatch(c, "it cannot report " + wrong);
                return;
            }
        }
        final Task w = task(c.pid());
        final boolean group = which == 0 || which < -1;
        final List<ProcessTree.Proc> can = group ? List.of() : tree.eligible(w.tgid, c.pid(), which, options);
        final boolean certain = !group && treeCertain(w, options, can);
        if (c.failed()) { // ECHILD
            final List<ProcessTree.Proc> running = can.stream().filter(x -> !x.dead).toList();
            // Zombies the kernel does not have: SIGCHLD ignored (or SA_NOCLDWAIT, not traced) reaps at exit.
            can.stream().filter(x -> x.dead).forEach(x -> tree.reap(x.tgid));
            if (!running.isEmpty() && certain) {
                waitMismatch(c, "pid " + w.tgid + " has children running to wait for: " + running);
            } else if (running.isEmpty() || certain) {
                report.replayed();
            } else {
                report.outside(c);
            }
            return;
        }
        if (reported == 0) { // WNOHANG: children, none ready
            if (certain && can.isEmpty()) {
                waitMismatch(c, "pid " + w.tgid + " has no child to wait for (ECHILD)");
            } else if (certain) {
                report.replayed();
            } else {
                report.outside(c);
            }
            return;
        }
        final ProcessTree.Proc p = tree.get(reported);
        final boolean exit = rep == Report.EXIT || (rep == Report.UNKNOWN
                && ((options & (ProcessTree.WUNTRACED | ProcessTree.WCONTINUED)) == 0 || (p != null && p.dead)));
        final boolean reap = exit && (options & ProcessTree.WNOWAIT) == 0;
        if (reported < 0 || p == null || !can.contains(p)) {
            if (certain && reported > 0) {
                waitMismatch(c, can.isEmpty() ? "pid " + w.tgid + " has no child to wait for (ECHILD)"
                        : "pid " + w.tgid + " can wait for " + can + " only");
            } else {
                report.outside(c); // a process group, a child from before the trace or adopted
            }
            if (p != null && reap) {
                tree.reap(p.tgid); // the kernel reaped it: a later wait must not find it here
            }
            return;
        }
        if (exit && !p.dead) {
            if (certain) {
                waitMismatch(c, "pid " + reported + " is still running");
            } else {
                report.outside(c);
            }
            return;
        }
        report.replayed();
        if (reap) {
            tree.reap(p.tgid);
        }
    }

    /**
     * Whether the replay's tree knows for certain what {@code w}'s wait could find: the trace began
     * with its first process's execve, every child it shows has the pid its creator was told (no
     * pid namespace), no CLONE_PARENT (whose exit signal comes from the caller's group leader) and
     * no orphans a subreaper may have adopted; {@code w}'s group was born in the trace or is the
     * first process; and for __WNOTHREAD, the thread that made each child is still there.
     */
    private boolean treeCertain(Task w, int options, List<ProcessTree.Proc> can) {
        return pidsCertain && !tree.orphans() && tree.knowsAllChildren(w.tgid)
                && ((options & ProcessTree.WNOTHREAD) == 0 || can.stream().allMatch(x -> x.creator >= 0));
    }

    /** Linux's {@code _NSIG}: the largest signal number. */
    private static final int NSIG = 64;

    /**
     * kill, tkill and tgkill: their answers to their arguments alone (tkill's and tgkill's EINVAL for
     * an id below 1; kill's ESRCH for INT_MIN; EINVAL for a bad signal sent to pid 0, the caller's
     * own group, or to -1), and for a target the trace shows alive or a zombie (not reaped: its pid
     * is not free to be taken): 0, or EINVAL for a bad signal; tgkill's ESRCH for a thread of another
     * group. Any other target (a process group, a process outside the trace, a pid reaped and maybe
     * reused) is outside; so is EPERM (credentials are not modelled), and every verdict of the
     * trace's pids when they are not certain (a pid namespace). A signal's effect is the trace's
     * own ({@code +++ killed by ...}).
     */
    private void signal(TraceEvent.Call c) {
        final boolean tg = c.name().equals("tgkill");
        final long target = arg(c, tg ? 1 : 0);
        final long group = tg ? arg(c, 0) : 0;
        final String sig = Values.uncomment(c.args().get(tg ? 2 : 1));
        final boolean validSig;
        if (sig.startsWith("SIG")) {
            validSig = true;
        } else {
            final long n = Values.number(sig);
            validSig = n >= 0 && n <= NSIG;
        }
        final String badSig = "signal " + sig + " is none (0 to " + NSIG + "): -1 EINVAL";
        Long expect = null; // null: outside
        String why = null;
        if (!c.name().equals("kill")) {
            if (target <= 0 || (tg && group <= 0)) {
                expect = (long) -Errno.EINVAL;
                why = "an id below 1: -1 EINVAL";
            } else if (pidsCertain) {
                final int of = tgidOfLiveOrZombie(target);
                if (of > 0 && tg && of != group) {
                    expect = (long) -Errnos.ESRCH;
                    why = "thread " + target + " is " + of + "'s, not " + group + "'s: -1 ESRCH";
                } else if (of > 0) {
                    expect = validSig ? 0L : -Errno.EINVAL;
                    why = validSig ? "thread " + target + " is alive or a zombie: it takes the signal" : badSig;
                }
            }
        } else if (target == Integer.MIN_VALUE) {
            expect = (long) -Errnos.ESRCH;
            why = "pid INT_MIN: -1 ESRCH";
        } else if (target == 0) {
            expect = validSig ? 0L : -Errno.EINVAL; // the caller's own group: it is in it
            why = validSig ? "the caller's own group takes the signal" : badSig;
        } else if (target == -1 && !validSig && !(c.failed() && c.errName().equals("ESRCH"))) {
            expect = (long) -Errno.EINVAL; // (ESRCH if the caller and init are all there is: outside)
            why = badSig;
        } else if (target > 0 && (target == c.pid() || pidsCertain && tgidOfLiveOrZombie(target) > 0)) {
            // (the caller itself is alive, whatever else the trace shows)
            expect = validSig ? 0L : -Errno.EINVAL;
            why = validSig ? "pid " + target + " is alive or a zombie: it takes the signal" : badSig;
        }
        if (expect != null && target > 0 && c.failed() && c.errName().equals("ESRCH") && mayBeGone(c, target)) {
            expect = null;
        }
        if (expect == null || c.unknown()) {
            if (expect != null && expect == 0) {
                report.replayed(); // the signal ended the caller (the trace says how: +++ killed by)
            } else {
                report.outside(c);
            }
            return;
        }
        final int errno = c.failed() ? Errnos.number(c.errName()) : 0;
        final long got = !c.failed() ? c.result() : errno == 0 ? Long.MIN_VALUE : -errno; // MIN: an errno unknown here
        if (expect == 0 && (got == -Errno.EPERM || got == -Errnos.EAGAIN && !c.name().equals("kill") && realTime(sig))) {
            // The target's credentials are not modelled; nor is RLIMIT_SIGPENDING, which a queued
            // real-time signal of tkill/tgkill (SI_TKILL) counts against, per user (kill's SI_USER
            // is exempt).
            report.outside(c);
            return;
        }
        if (got != expect) {
            waitMismatch(c, why);
            return;
        }
        report.replayed();
    }

    /** Whether strace's name or number of a signal is a real-time one (32 to 64). */
    private static boolean realTime(String sig) {
        if (sig.startsWith("SIG")) {
            return sig.startsWith("SIGRT");
        }
        final long n = Values.number(sig);
        return n >= 32 && n <= NSIG;
    }

    /**
     * Whether the kernel may have freed {@code target}'s pid though the trace still shows the task
     * at {@code c}: a zombie (SIGCHLD ignored or SA_NOCLDWAIT reaps at exit, and the trace shows no
     * sigaction; or a wait of another thread, still running, has reaped it), or a thread of a group
     * with an execve running (de_thread frees every other thread's tid, and a non-leader's own when
     * it takes the leader's pid, before strace says so).
     */
    private boolean mayBeGone(TraceEvent.Call c, long target) {
        if (target > Integer.MAX_VALUE) {
            return false;
        }
        final Task t = tasks.get((int) target);
        if (t == null) {
            return true; // only a zombie
        }
        if (target == t.tgid) {
            return false; // the group keeps its pid through an execve
        }
        final int end = ends.get(at);
        for (int j = at + 1; j < events.size() && minStartFrom[j] < end; j++) {
            if (events.get(j) instanceof TraceEvent.Call y && isExec(y.name()) && y.line() < end) {
                final Task by = tasks.get(y.pid());
                if (y.pid() == t.tgid || by != null && by.tgid == t.tgid) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The thread group of {@code pid} if the trace shows it alive (a thread or a process), or a
     * zombie not reaped yet (itself); else -1.
     */
    private int tgidOfLiveOrZombie(long pid) {
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            return -1;
        }
        final Task t = tasks.get((int) pid);
        if (t != null) {
            return t.tgid;
        }
        final ProcessTree.Proc z = tree.get(pid);
        return z != null && z.dead ? z.tgid : -1;
    }

    /** A wait's answer that the replay's process tree (or its arguments) contradicts. */
    private void waitMismatch(TraceEvent.Call c, String ours) {
        report.replayed();
        report.mismatch("MISMATCH line " + c.line() + ": " + c.text() + " = " + c.resultText() + " (kernel), "
                + o.design().cliName() + "'s replay: " + ours);
    }

    // ------------------------------------------------------------------------------------------
    // Memory calls

    private static long arg(TraceEvent.Call c, int i) {
        if (i >= c.args().size()) {
            throw new Values.Unreadable(c.name() + " has no argument " + (i + 1));
        }
        return Values.number(c.args().get(i));
    }

    private void compare(TraceEvent.Call c, long got) {
        compare(c, got, "");
    }

    /**
     * strace logs calls in the order they end, but the kernel applied each at some moment between
     * its start and its end: a call of another thread of the same mm that was still running when
     * {@code c} ended (it started before that line and ended after it) may have taken effect first.
     * When {@code c}'s kernel result needs such a call first (the kernel gave {@code c} an address
     * that call frees, say), the first one that {@code explains} accepts is replayed now, ahead of
     * its turn, and noted.
     *
     * @return whether one was replayed
     */
    private boolean applyInFlight(TraceEvent.Call c, Mm m, Predicate<TraceEvent.Call> explains) {
        // Nested (the call replayed ahead needs another one first): it too must have started before
        // the first call of the chain ended.
        final int end = Math.min(ends.get(at), inFlightLimit);
        for (int j = at + 1; j < events.size() && minStartFrom[j] < end; j++) {
            if (done[j] || !(events.get(j) instanceof TraceEvent.Call y) || y.line() >= end || y.pid() == c.pid()
                    || y.failed() || y.unknown()) {
                continue;
            }
            final Task t = tasks.get(y.pid());
            if (t == null || t.mm != m || !explains.test(y)) {
                continue;
            }
            final int here = at;
            final int limit = inFlightLimit;
            final long ooms = oomsAtCall;
            final long before = machine.frameStats().ooms();
            at = j;
            inFlightLimit = end;
            try {
                step(y);
            } finally {
                at = here;
                inFlightLimit = limit;
                // The nested call's refused frames are not the outer call's excuse.
                oomsAtCall = ooms + (machine.frameStats().ooms() - before);
            }
            done[j] = true;
            report.note("line " + y.line() + " replayed before line " + c.line() + ": both were running, and the"
                    + " kernel's result at line " + c.line() + " needs it first");
            return true;
        }
        return false;
    }

    /** Whether the successful call {@code y} unmaps part of [start, end) (munmap; mremap's old range). */
    private static boolean frees(TraceEvent.Call y, long start, long end) {
        try {
            switch (y.name()) {
                case "munmap": {
                    final long a = arg(y, 0);
                    return a < end && start < a + Mman.pageAlign(arg(y, 1));
                }
                case "mremap": {
                    if ((Values.flags(y.args().get(3), Values.MREMAP) & Mman.MREMAP_DONTUNMAP) != 0) {
                        return false; // the old range stays mapped
                    }
                    final long a = arg(y, 0);
                    final long ol = Mman.pageAlign(arg(y, 1));
                    final long nl = Mman.pageAlign(arg(y, 2));
                    final long from = y.result() != a ? a : a + Math.min(ol, nl); // moved: all of it; else a shrink's tail
                    return from < a + ol && from < end && start < a + ol;
                }
                default:
                    return false;
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException x) {
            return false;
        }
    }

    /** Whether the successful call {@code y} maps part of [start, end) (mmap; mremap's new range). */
    private static boolean maps(TraceEvent.Call y, long start, long end) {
        try {
            switch (y.name()) {
                case "mmap":
                    return y.result() < end && start < y.result() + Mman.pageAlign(arg(y, 1));
                case "mremap":
                    return y.result() < end && start < y.result() + Mman.pageAlign(arg(y, 2));
                default:
                    return false;
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException x) {
            return false;
        }
    }

    private void compare(TraceEvent.Call c, long got, String why) {
        if (got != c.result() && (got == -Errno.ENOMEM || got == -Errno.EAGAIN) && ranOutOfFrames()) {
            // The emulator's frame limit, not the design's answer (a populate, a fork's copy): only
            // a failure it can explain; a wrong address or another errno is still a mismatch.
            report.unsupported(c.name() + " (" + FRAMES_RAN_OUT + ")", c.line());
            return;
        }
        report.replayed();
        if (got != c.result()) {
            report.mismatch("MISMATCH line " + c.line() + ": " + c.text() + " = " + c.resultText() + " (kernel), "
                    + o.design().cliName() + " returned " + c.format(got) + why);
        }
    }

    /** The kernel had [start, end) free: drop whatever stale state our side has in its unknown parts. */
    private static void clearUnknown(Mm m, long start, long end) {
        for (long[] r : m.unknown.inside(start, end)) {
            m.space.munmap(r[0], r[1] - r[0]);
        }
    }

    private static boolean mappedHere(AddressSpace s, long start, long end) {
        for (Area a : s.areas()) {
            if (a.start() < end && start < a.end()) {
                return true;
            }
        }
        return false;
    }

    /** Whether a sealed area (mseal) lies in [start, end) here. */
    private static boolean replacesSealed(AddressSpace s, long start, long end) {
        for (Area a : s.areas()) {
            if (a.start() < end && start < a.end() && (a.flags() & VmaFlags.SEALED) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether a file (not a special mapping, not anonymous memory) is mapped in [start, end) here. */
    private static boolean mapsAFile(AddressSpace s, long start, long end) {
        for (Area a : s.areas()) {
            if (a.start() < end && start < a.end() && a.backing() instanceof FileObject
                    && FileObject.kindOf(a) == FileObject.Kind.FILE) {
                return true;
            }
        }
        return false;
    }

    private void mmap(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final AddressSpace s = m.space;
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final int prot = Values.flags(c.args().get(2), Values.PROT);
        int flags = Values.flags(c.args().get(3), Values.MAP);
        final long off = arg(c, 5);
        if ((flags & Mman.MAP_HUGETLB) != 0) {
            report.unsupported("mmap (MAP_HUGETLB)", c.line());
            if (!c.failed()) {
                // mapped there, not here; the kernel rounds the length up to the huge page size
                final long huge = c.args().get(3).contains("MAP_HUGE_1GB") ? 1L << 30 : 2L << 20;
                m.unknown.add(c.result(), c.result() + ((len + huge - 1) & -huge));
            }
            return;
        }
        // Placement hints only: the kernel's address is used anyway.
        flags &= ~(Values.MAP_32BIT | Values.MAP_UNINITIALIZED);
        FileObject f = null;
        if ((flags & Mman.MAP_ANONYMOUS) == 0) {
            final Matcher fd = FD.matcher(c.args().get(4));
            if (!fd.matches() || fd.group(2) == null) {
                report.unsupported(c.failed() ? "mmap of a file (" + c.errName() + ": file state not modelled)"
                        : "mmap of a file without its path (strace -y prints it)", c.line());
                return;
            }
            if (fd.group(3) != null) {
                // An unlinked file (a memfd, a deleted temporary): whatever has that path now is
                // another file, so it is sized by its mappings in the trace.
                f = file(fd.group(2) + " (deleted)");
            } else if (fd.group(2).equals("/dev/zero")) {
                flags |= Mman.MAP_ANONYMOUS; // Linux: private /dev/zero is anonymous memory, shared is shmem
            } else {
                f = file(fd.group(2));
            }
        }
        // A file's EPERM or EACCES comes from its mount (noexec), its seals or the mode it was opened
        // with, which the trace does not show; EPERM is compared only for anonymous memory
        // (mmap_min_addr) or where a FIXED mapping would replace a sealed area (mseal's EPERM).
        if (c.failed() && (!MMAP_ERRNOS.contains(c.errName())
                || f != null && (c.errName().equals("EACCES") || c.errName().equals("EPERM")
                        && !((flags & Mman.MAP_FIXED) != 0 && replacesSealed(s, addr, addr + Mman.pageAlign(len)))))) {
            report.unsupported("mmap (" + c.errName() + ": file state not modelled)", c.line());
            return;
        }
        final boolean fixed = (flags & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0;
        final long rlen = Mman.pageAlign(len);
        if (!c.failed()) {
            final long x = c.result();
            final long got;
            if (fixed) {
                long g = s.mmap(addr, len, prot, flags, f, off); // deterministic even over unknown memory
                while (g == -Errno.EEXIST && applyInFlight(c, m, y -> frees(y, addr, addr + rlen))) {
                    g = s.mmap(addr, len, prot, flags, f, off);
                }
                got = g;
            } else {
                clearUnknown(m, x, x + rlen);
                long g = s.mmap(x, len, prot, flags | Mman.MAP_FIXED_NOREPLACE, f, off);
                while (g == -Errno.EEXIST && applyInFlight(c, m, y -> frees(y, x, x + rlen))) {
                    g = s.mmap(x, len, prot, flags | Mman.MAP_FIXED_NOREPLACE, f, off);
                }
                got = g;
            }
            m.unknown.remove(x, x + rlen);
            compare(c, got, !fixed && got == -Errno.EEXIST ? " (the kernel placed it where this layout has a mapping)"
                    : "");
            return;
        }
        // EEXIST, or a FIXED mapping's EPERM (a seal), over memory partly unknown here: the reason
        // may lie in the unknown part (the kernel changed nothing).
        final boolean layoutDependent = (c.errName().equals("EEXIST") || fixed && c.errName().equals("EPERM"))
                        && m.unknown.intersects(addr, addr + rlen)
                || !fixed && c.errName().equals("ENOMEM") && !m.unknown.isEmpty() && rlen != 0
                        && Long.compareUnsigned(rlen, s.config().taskSize()) <= 0;
        if (layoutDependent) {
            report.outside(c);
            return;
        }
        final long got = s.mmap(addr, len, prot, flags, f, off);
        compare(c, got);
        if (!Errno.isError(got)) {
            s.munmap(got, rlen); // follow the kernel, which mapped nothing
        }
    }

    private void munmap(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final long end = addr + Mman.pageAlign(len);
        final boolean out = !"EINVAL".equals(c.errName()) && m.unknown.intersects(addr, end);
        if (out && c.failed()) {
            // The kernel's munmap changes nothing when it fails (the map count, a sealed area): the
            // reason lies in the unknown part, so nothing is done here either.
            report.outside(c);
            return;
        }
        final long got = m.space.munmap(addr, len);
        if (out) {
            report.outside(c);
        } else {
            compare(c, got);
        }
        if (!c.failed() && got == 0) {
            m.unknown.remove(addr, end); // free on both sides now
        }
    }

    private void mprotect(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final AddressSpace s = m.space;
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final int prot = Values.flags(c.args().get(2), Values.PROT);
        final long end = addr + Mman.pageAlign(len);
        if ((prot & (Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP)) != 0) {
            // PROT_GROWSDOWN applies from the start of the first area in the range, below addr or
            // above it: that area is where the kernel's and the replay's layouts must agree.
            final Area at = areaAt(s.areas(), addr);
            final long from = at != null ? Math.min(at.start(), addr) : addr;
            // EINVAL from the arguments alone (both bits, an unaligned start, an unknown bit) needs
            // no layout; the layout's EINVAL (no grows-down area, a mapped GROWSUP start) does.
            final int grows = prot & (Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP);
            final boolean argumentsEinval = grows == (Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP)
                    || (addr & (Mman.PAGE_SIZE - 1)) != 0
                    || (prot & ~(grows | Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC | Mman.PROT_SEM)) != 0;
            if (!c.unknown() && (argumentsEinval || !m.unknown.intersects(from, end))) {
                compare(c, s.mprotect(addr, len, prot));
            } else {
                report.outside(c);
                unknownRange(m, from, end - from);
            }
            return;
        }
        if ("EACCES".equals(c.errName()) && mapsAFile(s, addr, end)) {
            // Rights the file allows (VM_MAYWRITE from the open mode, VM_MAYEXEC from the mount):
            // not in the trace. The kernel may have changed the areas before the one it refused.
            report.unsupported("mprotect (EACCES: the file's open mode or mount not modelled)", c.line());
            m.unknown.add(addr, end);
            return;
        }
        if ("EINVAL".equals(c.errName()) || !m.unknown.intersects(addr, end)) {
            compare(c, s.mprotect(addr, len, prot));
            return;
        }
        report.outside(c);
        // Linux applies the change from addr up to the first hole, then fails. The known prefix is
        // applied here; a hole in it stopped the kernel too.
        final long u = m.unknown.firstIn(addr, end);
        if (u > addr && s.mprotect(addr, u - addr, prot) < 0) {
            return;
        }
        if (!c.failed()) {
            for (long[] k : m.unknown.outside(u, end)) {
                s.mprotect(k[0], k[1] - k[0], prot); // the whole range was mapped in the kernel
            }
        } else {
            m.unknown.add(u, end); // it stopped somewhere in there: we cannot tell where
        }
    }

    /**
     * {@code pkey_mprotect}: with pkey -1 (no key) it is mprotect; a real key is not modelled, and
     * the range becomes unknown.
     */
    private void pkeyMprotect(TraceEvent.Call c) {
        if (c.args().size() > 3 && arg(c, 3) == -1) {
            mprotect(c);
            return;
        }
        report.unsupported("pkey_mprotect (a protection key)", c.line());
        if (!c.unknown()) {
            unknownRange(task(c.pid()).mm, arg(c, 0), arg(c, 1));
        }
    }

    /**
     * {@code mseal} (strace 6.1 prints it as {@code syscall_0x1ce} with six arguments, the first
     * three the call's), replayed since 2026-12-01: the later munmap, mprotect, mremap, brk and
     * madvise calls on the sealed areas are compared with their EPERM. Over memory partly unknown
     * here it is outside (the kernel's ENOMEM may be a hole there, and what it sealed there is not
     * known), unless the kernel said EINVAL (the arguments' own checks); the range stays unknown.
     */
    private void mseal(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final long flags = arg(c, 2);
        final long start = addr & ~(Mman.PAGE_SIZE - 1);
        final long end = Mman.pageAlign(addr + len);
        if (Long.compareUnsigned(start, end) < 0 && m.unknown.intersects(start, end) && !"EINVAL".equals(c.errName())) {
            report.outside(c);
            if (!c.unknown() && !c.failed()) {
                unknownRange(m, start, end - start);
            }
            return;
        }
        compare(c, m.space.mseal(addr, len, flags));
    }

    /**
     * {@code msync}: it changes no memory here (a file's pages are its page cache); its result is
     * compared, unless the range has memory the replay does not know (a hole there, or a locked
     * area, would change it).
     */
    private void msync(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final int flags = Values.flags(c.args().get(2), Values.MS);
        final long end = addr + Mman.pageAlign(len);
        if (c.unknown() || !"EINVAL".equals(c.errName()) && Long.compareUnsigned(addr, end) < 0
                && m.unknown.intersects(addr & ~(Mman.PAGE_SIZE - 1), end)) {
            report.outside(c);
            return;
        }
        compare(c, m.space.msync(addr, len, flags));
    }

    /**
     * {@code mincore}: its result is compared, not its vector (the replay sees no stores, so which
     * anonymous pages are in memory is not known). The vector's memory decides an EFAULT: strace
     * prints the vector when the call succeeded, else its address, which must be writable memory
     * the replay knows ({@code NULL} and a hole are not writable); an address outside user space is
     * refused before the range is looked at, which the emulator's mincore does not model.
     */
    private void mincore(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final String v = c.args().get(2).strip();
        final long pages = (len >>> 12) + ((len & (Mman.PAGE_SIZE - 1)) != 0 ? 1 : 0);
        if (c.unknown() || !"EINVAL".equals(c.errName()) && pages > 0 && Long.compareUnsigned(addr + len, addr) > 0
                && m.unknown.intersects(addr & ~(Mman.PAGE_SIZE - 1), Mman.pageAlign(addr + len))) {
            report.outside(c);
            return;
        }
        // Linux's order: the start's alignment (EINVAL), access_ok of the range (ENOMEM), then of
        // the vector (EFAULT): the first two need no vector.
        final long top = m.space.config().taskSize();
        if ((addr & (Mman.PAGE_SIZE - 1)) != 0 || Long.compareUnsigned(addr + len, addr) < 0
                || Long.compareUnsigned(addr + len, top) > 0) {
            compare(c, m.space.mincore(addr, len, null));
            return;
        }
        final boolean printed = v.startsWith("[");
        final long at = printed ? 0 : Values.number(v);
        if (!printed) {
            if (Long.compareUnsigned(at, top) >= 0 || Long.compareUnsigned(at + pages, top) > 0) {
                // access_ok(vec) fails before the range is looked at: not in the emulator's API
                report.unsupported("mincore (a vector outside user space)", c.line());
                return;
            }
        }
        if (pages > MINCORE_PAGES) {
            // Too large a vector to make: without one, the argument checks and a first area's
            // hole still answer; a first area that is all there would go on to an EFAULT.
            final long r = m.space.mincore(addr, len, null);
            if (r == -Errno.EFAULT) {
                report.unsupported("mincore (over 2^24 pages)", c.line());
            } else {
                compare(c, r);
            }
            return;
        }
        int room = (int) pages;
        if (!printed) {
            if (pages > 0 && m.unknown.intersects(at & ~(Mman.PAGE_SIZE - 1), Mman.pageAlign(at + pages))) {
                report.outside(c);
                return;
            }
            // Linux copies the results area by area: the writable part of the vector decides where
            // an EFAULT comes, and a hole before that point is ENOMEM.
            room = (int) Math.min(pages, writablePrefix(m.space, at, at + pages));
            if (room < pages && growsInto(m.space, at + room)) {
                report.outside(c); // the kernel's copy would grow the stack there
                return;
            }
        }
        compare(c, m.space.mincore(addr, len, new byte[room]));
    }

    /** How many bytes from {@code start} on are in areas with PROT_WRITE, end to end (up to {@code end}). */
    private static long writablePrefix(AddressSpace s, long start, long end) {
        long at = start;
        for (Area a : s.areas()) {
            if (a.end() <= at) {
                continue;
            }
            if (a.start() > at || (a.prot() & Mman.PROT_WRITE) == 0) {
                break;
            }
            at = a.end();
            if (at >= end) {
                break;
            }
        }
        return Math.min(at, end) - start;
    }

    /** Whether {@code va} is in a hole that a grows-down area right above it would grow into. */
    private static boolean growsInto(AddressSpace s, long va) {
        for (Area a : s.areas()) {
            if (a.end() > va) {
                return a.start() > va && (a.flags() & dev.specfault.vma.VmaFlags.GROWSDOWN) != 0;
            }
        }
        return false;
    }

    /** The largest mincore replayed: 64 GiB of memory, a 16 MiB vector. */
    private static final long MINCORE_PAGES = 1L << 24;

    /** [addr, addr + len) rounded out to pages becomes unknown memory, if it is a range at all. */
    private static void unknownRange(Mm m, long addr, long len) {
        final long start = addr & ~(Mman.PAGE_SIZE - 1);
        final long end = Mman.pageAlign(addr + len);
        if (Long.compareUnsigned(start, end) < 0 && Long.compareUnsigned(end, m.space.config().taskSize()) <= 0) {
            m.unknown.add(start, end);
        }
    }

    private void madvise(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final String a = Values.uncomment(c.args().get(2));
        final int advice = Values.flags(a, Values.MADV);
        if (!Mman.madviseModelled(advice) && Values.MADV.containsValue(advice)) {
            // Not modelled (REMOVE, COLLAPSE, GUARD_*, HWPOISON, SOFT_OFFLINE): none of them
            // changes the layout.
            report.unsupported("madvise (" + a + ")", c.line());
            return;
        }
        final long end = addr + Mman.pageAlign(len);
        if ((advice == Mman.MADV_POPULATE_READ || advice == Mman.MADV_POPULATE_WRITE) && !"EINVAL".equals(c.errName())
                && Long.compareUnsigned(addr, end) < 0 && mapsAFileOfUnknownSize(m.space, addr, end)) {
            report.outside(c); // where the file ends decides it; a populate changes no layout
            return;
        }
        if (!m.unknown.intersects(addr, end)) {
            compare(c, m.space.madvise(addr, len, advice));
            return;
        }
        final boolean badArgs = (addr & (Mman.PAGE_SIZE - 1)) != 0 || len != 0 && Mman.pageAlign(len) == 0
                || Long.compareUnsigned(end, addr) < 0;
        if (Mman.madviseSetsFlags(advice) && c.failed() && !badArgs) {
            // The kernel's walk stopped at an area (or a refused split) that may lie in the unknown
            // part, after changing the areas before it: which known areas changed is not known.
            report.outside(c);
            unknownRange(m, addr, len);
            return;
        }
        if ("EINVAL".equals(c.errName())) {
            // An argument's EINVAL does not depend on memory, but an area's does (locked memory;
            // MADV_FREE of a file or shared area): compared only if it is EINVAL here too.
            final long got = m.space.madvise(addr, len, advice);
            if (got == -Errno.EINVAL) {
                compare(c, got);
            } else {
                report.outside(c);
            }
            return;
        }
        report.outside(c);
        for (long[] k : m.unknown.outside(addr, end)) {
            m.space.madvise(k[0], k[1] - k[0], advice);
        }
    }

    /**
     * mlock, mlock2, munlock, mlockall, munlockall, replayed (the space locks areas, populates them,
     * and keeps mlockall(MCL_FUTURE) for later mappings). An mlock or munlock over memory partly
     * unknown here is outside, and its range becomes unknown: where the kernel's walk stopped (a
     * hole) and what it populated depend on that memory.
     */
    private void lockCall(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final AddressSpace s = m.space;
        if ("EPERM".equals(c.errName()) || "EAGAIN".equals(c.errName())
                || "ENOMEM".equals(c.errName()) && c.name().equals("mlockall")) {
            // can_do_mlock and RLIMIT_MEMLOCK (a trace recorded without CAP_IPC_LOCK): not modelled,
            // and the kernel changed nothing.
            report.unsupported(c.name() + " (" + c.errName() + ": RLIMIT_MEMLOCK and privileges not modelled)", c.line());
            return;
        }
        switch (c.name()) {
            case "mlockall":
                compare(c, s.mlockall(Values.flags(c.args().get(0), Values.MCL)));
                return;
            case "munlockall":
                compare(c, s.munlockall());
                return;
            default:
                break;
        }
        final long addr = arg(c, 0);
        final long len = arg(c, 1);
        final int flags = c.name().equals("mlock2") ? Values.flags(c.args().get(2), Values.MLOCK) : 0;
        final long start = addr & ~(Mman.PAGE_SIZE - 1);
        final long end = Mman.pageAlign(addr + len);
        if (Long.compareUnsigned(start, end) < 0 && m.unknown.intersects(start, end) && !"EINVAL".equals(c.errName())) {
            report.outside(c);
            if (!c.unknown()) {
                unknownRange(m, start, end - start);
            }
            return;
        }
        final long got = c.name().equals("munlock") ? s.munlock(addr, len) : s.mlock(addr, len, flags);
        if (!c.name().equals("munlock") && flags == 0 && !"EINVAL".equals(c.errName()) && Long.compareUnsigned(start, end) < 0
                && mapsAFileOfUnknownSize(s, start, end)) {
            // The areas are locked here as there; whether the populate met the file's real end
            // (ENOMEM) is not known.
            report.outside(c);
            return;
        }
        if ("ENOMEM".equals(c.errName()) && got == 0) {
            // The kernel's ENOMEM may be RLIMIT_MEMLOCK's (a hole gives it too, and a hole here
            // would have given it): what the kernel locked is not known.
            report.outside(c);
            unknownRange(m, start, end - start);
            return;
        }
        compare(c, got);
    }

    private void brk(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final AddressSpace s = m.space;
        if (!m.brkKnown) {
            report.outside(c); // where this program's break started is not in the trace
            return;
        }
        final long want = arg(c, 0);
        final long cur = s.currentBrk();
        final long kernel = c.result();
        if (want != 0 && kernel == want && Mman.pageAlign(kernel) > Mman.pageAlign(cur)) {
            clearUnknown(m, Mman.pageAlign(cur), Mman.pageAlign(kernel));
            m.unknown.remove(Mman.pageAlign(cur), Mman.pageAlign(kernel));
        }
        final long got = s.brk(want);
        final boolean dependsOnUnknown = want > cur
                ? m.unknown.intersects(Mman.pageAlign(cur), Mman.pageAlign(want) + Mman.PAGE_SIZE + s.config().stackGuardGap())
                : m.unknown.intersects(Mman.pageAlign(want), Mman.pageAlign(cur)); // a shrink needs an area there
        if (got != kernel && want != 0 && dependsOnUnknown) {
            report.outside(c); // the kernel decided by memory we do not know
            if (got != cur) {
                s.brk(cur);
            }
            return;
        }
        compare(c, got);
        if (got != kernel && kernel == cur && got != cur) {
            s.brk(cur); // the kernel kept its break: follow it, so that one difference is reported once
        }
    }

    /** Whether {@code mremap(old, olen, nlen, 0)} would succeed in place here (Linux vma_expandable). */
    private static boolean couldGrowInPlace(AddressSpace s, long old, long olen, long nlen) {
        final Area a = areaAt(s.areas(), old);
        if (a == null || nlen <= olen || old + olen != a.end()) {
            return false;
        }
        final long end = old + nlen;
        return end > old && Long.compareUnsigned(end, s.config().taskSize()) <= 0 && !mappedHere(s, a.end(), end);
    }

    /**
     * Whether mremap gives EINVAL for these arguments whatever its new_addr: the checks that do not
     * read it (flags, alignment, lengths) and a special mapping at {@code old} (VM_DONTEXPAND,
     * VM_PFNMAP), which DONTUNMAP refuses.
     */
    private static boolean einvalWhateverTheHint(AddressSpace s, long old, long olen, long nlen, int flags) {
        final long ol = Mman.pageAlign(olen);
        final long nl = Mman.pageAlign(nlen);
        if ((flags & ~(Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP)) != 0
                || (old & (Mman.PAGE_SIZE - 1)) != 0 || nl == 0 || Long.compareUnsigned(nl, s.config().taskSize()) > 0
                || (flags & Mman.MREMAP_MAYMOVE) == 0 || ol != nl) {
            return true;
        }
        final Area a = areaAt(s.areas(), old);
        return a != null && FileObject.kindOf(a) != FileObject.Kind.FILE;
    }

    private void mremap(TraceEvent.Call c) {
        final Mm m = task(c.pid()).mm;
        final AddressSpace s = m.space;
        final long old = arg(c, 0);
        final long olen = arg(c, 1);
        final long nlen = arg(c, 2);
        final int flags = Values.flags(c.args().get(3), Values.MREMAP);
        final long newAddr = c.args().size() > 4 ? arg(c, 4) : 0;
        final boolean dontUnmap = (flags & Mman.MREMAP_DONTUNMAP) != 0;
        if (dontUnmap && (flags & Mman.MREMAP_FIXED) == 0 && c.args().size() <= 4 && "EINVAL".equals(c.errName())
                && !einvalWhateverTheHint(s, old, olen, nlen, flags)) {
            // strace prints new_addr only with MREMAP_FIXED, but DONTUNMAP checks it as a hint
            // (unaligned, past TASK_SIZE, overlapping the old range: EINVAL). The kernel refused, so
            // nothing changed; whether for the hint cannot be told.
            report.unsupported("mremap (MREMAP_DONTUNMAP: EINVAL that may come from new_addr, not in the trace)",
                    c.line());
            return;
        }
        final long oend = old + Mman.pageAlign(olen);
        final long r = c.result();
        final long rend = r + Mman.pageAlign(nlen);
        // An old length 0 (a shared mapping's duplicate) still depends on the area at old.
        if ("EINVAL".equals(c.errName()) || !m.unknown.intersects(old, Math.max(oend, old + Mman.PAGE_SIZE))) {
            long got;
            String why = "";
            if (!c.failed() && r != old && (flags & Mman.MREMAP_FIXED) == 0) {
                // The kernel moved it to r: move it there too, if r is free here.
                clearUnknown(m, r, rend);
                while (couldGrowInPlace(s, old, oend - old, Mman.pageAlign(nlen))
                        && applyInFlight(c, m, y -> maps(y, oend, old + Mman.pageAlign(nlen)))) {
                    // another thread's mapping above it was there first in the kernel
                }
                while (mappedHere(s, r, rend) && applyInFlight(c, m, y -> frees(y, r, rend))) {
                    // another thread's unmap of the target was there first in the kernel
                }
                if (couldGrowInPlace(s, old, oend - old, Mman.pageAlign(nlen))) {
                    // Linux grows in place when it can: a move says the kernel's layout had no room.
                    report.replayed();
                    report.mismatch("MISMATCH line " + c.line() + ": " + c.text() + " = " + c.resultText()
                            + " (kernel), " + o.design().cliName() + " returned " + c.format(old)
                            + " (the kernel moved it; this layout lets it grow in place; moved anyway)");
                    s.mremap(old, olen, nlen, flags | Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, r);
                    m.unknown.remove(r, rend);
                    return;
                }
                if (mappedHere(s, r, rend)) {
                    got = -Errno.EEXIST;
                    why = " (the kernel moved it where this layout has a mapping; not replayed)";
                } else {
                    got = s.mremap(old, olen, nlen, flags | Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, r);
                }
            } else {
                // A FIXED move of equal lengths may span areas and holes (Linux 6.17): the target
                // across from a hole is left as it was, so only what lands there becomes known.
                final List<long[]> landed = new ArrayList<>();
                for (Area a : s.areas()) {
                    if (a.start() < oend && old < a.end()) {
                        landed.add(new long[] {r + Math.max(a.start(), old) - old, r + Math.min(a.end(), oend) - old});
                    }
                }
                got = s.mremap(old, olen, nlen, flags, newAddr);
                if (!c.failed() && (flags & Mman.MREMAP_FIXED) != 0 && Mman.pageAlign(olen) == Mman.pageAlign(nlen)
                        && !landed.isEmpty()) {
                    landed.forEach(k -> m.unknown.remove(k[0], k[1]));
                    compare(c, got, why);
                    return;
                }
            }
            if (!c.failed()) {
                m.unknown.remove(r, rend);
            }
            compare(c, got, why);
            return;
        }
        report.outside(c);
        if (c.failed()) {
            return;
        }
        // What the kernel moved or grew came from unknown memory: the result is unknown too. What
        // DONTUNMAP left behind stays mapped, and unknown.
        if (r != old && !dontUnmap) {
            s.munmap(old, oend - old);
            m.unknown.remove(old, oend);
        } else if (rend < oend) {
            s.munmap(rend, oend - rend);
            m.unknown.remove(rend, oend);
        }
        s.munmap(r, rend - r);
        m.unknown.add(r, rend);
    }

    // ------------------------------------------------------------------------------------------
    // After the replay

    private static String rights(int prot, boolean shared) {
        return ((prot & Mman.PROT_READ) != 0 ? "r" : "-") + ((prot & Mman.PROT_WRITE) != 0 ? "w" : "-")
                + ((prot & Mman.PROT_EXEC) != 0 ? "x" : "-") + (shared ? "s" : "p");
    }

    private static Area areaAt(List<Area> areas, long va) {
        for (Area a : areas) {
            if (a.start() <= va && va < a.end()) {
                return a;
            }
        }
        return null;
    }

    /** Compares the layout page by page (start, end, rights) with a saved {@code /proc/PID/maps}. */
    private void compareMaps(Mm m, List<MapsFile.Entry> expected) {
        final AddressSpace s = m.space;
        final long top = s.config().taskSize();
        final List<MapsFile.Entry> exp = new ArrayList<>();
        for (MapsFile.Entry e : expected) {
            if (Long.compareUnsigned(e.end(), top) <= 0) {
                exp.add(e); // [vsyscall] lies above user space
            }
        }
        // The stack, and any MAP_GROWSDOWN area, grows by faults, which no trace shows: fault ours
        // down to where the kernel's got (the kernel's area ends where ours does).
        for (MapsFile.Entry e : exp) {
            final Area a = areaAt(s.areas(), e.end() - 1);
            if (a != null && (a.flags() & VmaFlags.GROWSDOWN) != 0 && a.start() > e.start()
                    && (e.name().equals("[stack]") || a.end() == e.end())) {
                final Cpu cpu = machine.cpu(0);
                cpu.bind();
                try {
                    s.load(cpu, e.start());
                } finally {
                    cpu.unbind();
                }
            }
        }
        final List<Area> areas = s.areas();
        // Both sides by start, for a lookup per cut point in O(log n): a layout of 65,000 areas
        // (max_map_count) took minutes with linear lookups.
        final TreeMap<Long, MapsFile.Entry> expByStart = new TreeMap<>();
        exp.forEach(e -> expByStart.put(e.start(), e));
        final TreeMap<Long, Area> areaByStart = new TreeMap<>();
        areas.forEach(a -> areaByStart.put(a.start(), a));
        final TreeSet<Long> cuts = new TreeSet<>();
        exp.forEach(e -> {
            cuts.add(e.start());
            cuts.add(e.end());
        });
        areas.forEach(a -> {
            cuts.add(a.start());
            cuts.add(a.end());
        });
        long skipped = 0;
        long runStart = -1;
        long runEnd = -1;
        String runWhat = null;
        final List<Long> points = new ArrayList<>(cuts);
        final List<String> found = new ArrayList<>();
        for (int i = 0; i + 1 < points.size(); i++) {
            final long x = points.get(i);
            final long y = points.get(i + 1);
            final Map.Entry<Long, MapsFile.Entry> we = expByStart.floorEntry(x);
            final MapsFile.Entry want = we != null && x < we.getValue().end() ? we.getValue() : null;
            final Map.Entry<Long, Area> ge = areaByStart.floorEntry(x);
            final Area got = ge != null && x < ge.getValue().end() ? ge.getValue() : null;
            final String w = want == null ? "unmapped" : rights(want.prot(), want.shared());
            final String g = got == null ? "unmapped" : rights(got.prot(), (got.flags() & VmaFlags.SHARED) != 0);
            String what = null;
            if (!w.equals(g)) {
                if (m.unknown.intersects(x, y)) {
                    skipped += (y - x) >>> 12;
                } else {
                    what = (want == null ? "" : " line " + want.line()) + ": expected " + w + ", got " + g;
                }
            }
            if (what != null && what.equals(runWhat) && runEnd == x) {
                runEnd = y;
                continue;
            }
            if (runWhat != null) {
                found.add(String.format("MISMATCH --maps%s (0x%x-0x%x)", runWhat, runStart, runEnd));
            }
            runWhat = what;
            runStart = x;
            runEnd = y;
        }
        if (runWhat != null) {
            found.add(String.format("MISMATCH --maps%s (0x%x-0x%x)", runWhat, runStart, runEnd));
        }
        found.forEach(report::mismatch);
        if (skipped > 0) {
            report.note("--maps: " + skipped + " differing pages lie in memory outside the trace (not compared)");
        }
    }

    /** What an access to {@code va} in {@code a} must give. */
    private static int expected(Area a, long va) {
        if ((a.prot() & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) == 0) {
            return AccessResult.SIGSEGV;
        }
        if (a.backing() instanceof FileObject f && a.pgoffAt(va) >= f.pageCount()) {
            return AccessResult.SIGBUS; // beyond the end of the file
        }
        return AccessResult.OK;
    }

    /**
     * Faults every page of the layout from {@code cpus} threads, each bound to its own CPU: a store
     * where writable, a load elsewhere. Pages are taken in chunks; after each chunk, anonymous
     * private memory is dropped again (MADV_DONTNEED) so that a large layout needs few frames.
     */
    private void touch(Mm m) {
        final AddressSpace s = m.space;
        final List<long[]> chunks = new ArrayList<>(); // start, end of page runs inside one area
        final List<Area> areas = s.areas();
        long planned = 0;
        long mapped = 0;
        for (Area a : areas) {
            mapped += a.pages();
            for (long p = a.start(); p < a.end() && planned < TOUCH_LIMIT; p += TOUCH_CHUNK * Mman.PAGE_SIZE) {
                final long e = Math.min(a.end(), p + TOUCH_CHUNK * Mman.PAGE_SIZE);
                chunks.add(new long[] {p, e});
                planned += (e - p) >>> 12;
            }
        }
        final int n = o.cpus();
        final int[] next = {0};
        final AtomicBoolean stop = new AtomicBoolean();
        final ConcurrentLinkedQueue<String> bad = new ConcurrentLinkedQueue<>();
        final CyclicBarrier barrier = new CyclicBarrier(n, () -> {
            final long[] ch = chunks.get(next[0]++);
            final Area a = areaAt(areas, ch[0]);
            if (a != null && (a.flags() & VmaFlags.SHARED) == 0) {
                s.madvise(ch[0], ch[1] - ch[0], Mman.MADV_DONTNEED);
            }
        });
        final List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int id = i;
            final Thread t = new Thread(() -> {
                final Cpu cpu = machine.cpu(id);
                cpu.bind();
                try {
                    for (long[] ch : chunks) {
                        final Area a = areaAt(areas, ch[0]);
                        for (long va = ch[0] + id * Mman.PAGE_SIZE; va < ch[1] && !stop.get(); va += n * Mman.PAGE_SIZE) {
                            final boolean write = (a.prot() & Mman.PROT_WRITE) != 0;
                            final int r = write ? s.store(cpu, va, va) : s.load(cpu, va);
                            if (r == AccessResult.OOM) {
                                stop.set(true);
                                bad.add("NOTE --touch: out of emulated frames at 0x" + Long.toHexString(va)
                                        + "; stopped");
                            } else if (r != expected(a, va)) {
                                bad.add(String.format("MISMATCH --touch: %s at 0x%x on cpu %d in %s: %s, expected %s",
                                        write ? "store" : "load", va, id, rights(a.prot(), (a.flags() & VmaFlags.SHARED) != 0),
                                        AccessResult.name(r), AccessResult.name(expected(a, va))));
                            }
                        }
                        barrier.await();
                    }
                } catch (InterruptedException | BrokenBarrierException e) {
                    bad.add("NOTE --touch: interrupted");
                } finally {
                    cpu.unbind();
                }
            }, "replay-touch-" + i);
            t.setDaemon(true);
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (String b : bad) {
            if (b.startsWith("MISMATCH")) {
                report.mismatch(b);
            } else {
                report.note(b);
            }
        }
        if (planned < mapped) {
            report.note("--touch: the first " + planned + " of the " + mapped + " mapped pages, from " + n
                    + " CPUs (the limit is " + TOUCH_LIMIT + ")");
        } else {
            report.note("--touch: " + mapped + " pages faulted from " + n + " CPUs");
        }
    }
}
