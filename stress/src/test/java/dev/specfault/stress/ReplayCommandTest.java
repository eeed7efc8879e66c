package dev.specfault.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.stress.SpecfaultCliTest.Result;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ./specfault replay} end to end, in process: traces recorded on a project machine
 * (resources {@code replay/}, see its README) and hand-written ones for every errno
 * ({@code replay/errnos/}).
 */
class ReplayCommandTest {
    private static final String[] DESIGNS = {"speculative", "locked", "kernel-lock"};
    private static final Pattern SUMMARY = Pattern.compile(
            "^(\\S+): replayed=(\\d+) mismatches=(\\d+) unsupported=(\\d+) outside=(\\d+)$", Pattern.MULTILINE);

    static String res(String name) {
        try {
            return Path.of(ReplayCommandTest.class.getResource("/replay/" + name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The summary of each design: replayed, mismatches, unsupported, outside. */
    static List<long[]> summaries(Result r) {
        final List<long[]> l = new ArrayList<>();
        final Matcher m = SUMMARY.matcher(r.out());
        int i = 0;
        while (m.find()) {
            assertEquals(DESIGNS[i++], m.group(1), r.out());
            l.add(new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)),
                Long.parseLong(m.group(5))});
        }
        assertEquals(3, l.size(), "one summary per design: " + r.out());
        final String[] lines = r.out().strip().split("\n");
        assertTrue(SUMMARY.matcher(lines[lines.length - 1]).matches(), "the last line is a summary: " + r.out());
        return l;
    }

    /** Calls in a trace file: every line but +++ and --- lines, an unfinished half counted once. */
    static long calls(String name) throws IOException {
        return Files.readAllLines(Path.of(res(name))).stream()
                .filter(l -> !l.contains("+++") && !l.contains("---") && !l.contains("resumed>") && !l.isBlank())
                .count();
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "ls", "threads", "forker", "mman", "edge", "remap", "special", "layout", "advice", "hints",
        "mlock", "dontunmap", "shrinkspecial", "oldlen", "growsdown", "wait", "mt", "ign", "pidfd", "misc", "cp", "kill",
        "mseal", "prot-grows", "msync", "threadstack", "random", "random-edge", "random-files", "random-flags", "random-gd"})
    void realTracesReplayCleanOnEveryDesign(String p) throws IOException {
        if (p.startsWith("random-f") || p.equals("random-gd")) {
            randomFiles();
        }
        final Result r = SpecfaultCliTest.run("replay", res(p + ".strace"), "--initial-maps", res(p + ".initial.maps"),
                "--maps", res(p + ".final.maps"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("MISMATCH"), r.out());
        // edge: mmap's EACCES; dontunmap: two EINVALs from a DONTUNMAP hint, which strace does not print;
        // msync: mincore with a vector in the kernel's half; random-gd: two DONTUNMAP hints' EINVAL
        final long unsupported = p.equals("dontunmap") || p.equals("random-gd") ? 2 : p.equals("msync") ? 2
                : p.equals("edge") ? 1 : 0;
        // forker: /bin/true exec'd by the child (its loader's relro); mt, cp: the exec'd programs' relro; pidfd: a wait
        // by pidfd; misc: a wait for a process group, and an exec; kill: signals to pids outside the
        // trace (999999, a group, a reaped child's pid)
        final long outside = p.equals("forker") ? 2 : p.equals("misc") ? 3
                : p.equals("mt") || p.equals("cp") || p.equals("kill") ? 4 : p.equals("pidfd") ? 1 : 0;
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(unsupported, s[2], r.out());
            assertEquals(outside, s[3], r.out());
            assertEquals(calls(p + ".strace") - unsupported - outside, s[0], r.out());
        }
    }

    /**
     * A trace that claims what no kernel returns (an mmap of 2^63 bytes that succeeded) is compared
     * like any other call: a mismatch, exit 1. Found by fuzzing: it threw inside the replay's
     * bookkeeping, and that exception was counted as "unreadable arguments", as the emulator's own
     * would have been (oldlen.c's FIXED shrink threw one); such an exception is now an error that
     * says it is internal, never an unsupported call.
     */
    @Test
    void aSuccessNoKernelGivesIsAMismatch(@TempDir Path dir) throws Exception {
        final Path t = Files.writeString(dir.resolve("claims.strace"),
                "100 mmap(NULL, 9223372036854775808, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ff000000000\n"
                + "100 mmap(0x10000000, 8192, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x10000000\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("MISMATCH line 1: mmap(NULL, 9223372036854775808, PROT_READ|PROT_WRITE, "
                + "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ff000000000 (kernel), speculative returned -1 ENOMEM"), r.out());
        for (long[] sum : summaries(r)) {
            assertEquals(2, sum[0], r.out());
            assertEquals(1, sum[1], r.out());
            assertEquals(0, sum[2], r.out());
        }
    }

    /** The trace's own control characters (an escape sequence in a comment) are not echoed (review, 2026-11-30). */
    @Test
    void controlCharactersOfTheTraceAreNotEchoed(@TempDir Path dir) throws Exception {
        final Path t = Files.writeString(dir.resolve("esc.strace"),
                "100 mmap(0x7f0000000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7f0000000000\n"
                + "100 munmap(0x7f0000000000 /* \u001b[31mRED\u001b[0m \u0007 */, 4096) = -1 EINVAL (Invalid argument)\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("munmap(0x7f0000000000 /* ?[31mRED?[0m ? */, 4096) = -1 EINVAL (kernel)"), r.out());
        assertFalse(r.out().chars().anyMatch(c -> c < 0x20 && c != '\n'), r.out());
    }

    /** One line on stderr and exit code 2, naming {@code what}. */
    private static void refused(Result r, String what) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(what), what + " in " + r.err());
    }

    /**
     * Input that is not a trace or a maps snapshot is refused with one line (found by fuzzing): an
     * empty file, a directory, a FIFO (the read would block), a trace whose only call is resumed under
     * another name; maps lines out of order or overlapping, above user space, wider than 64 bits, or none.
     */
    @Test
    void whatIsNotATraceOrASnapshotIsRefusedWithOneLine(@TempDir Path dir) throws Exception {
        final Path empty = Files.writeString(dir.resolve("empty.strace"), "\n\n");
        refused(SpecfaultCliTest.run("replay", empty.toString()), "is empty");
        refused(SpecfaultCliTest.run("replay", dir.toString()), "is a directory");
        refused(SpecfaultCliTest.run("replay", dir.resolve("none").toString()), "no such file");
        final Path fifo = dir.resolve("fifo");
        final Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        if (mk.waitFor() == 0) {
            refused(SpecfaultCliTest.run("replay", fifo.toString()), "is not a regular file");
        }
        final Path other = Files.writeString(dir.resolve("other.strace"),
                "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>\n"
                + "100 <... munmap resumed>) = 0x7ffff7fc0000\n");
        refused(SpecfaultCliTest.run("replay", other.toString()), "line 1: unfinished, then line 2 resumes munmap");
        final Path t = Files.writeString(dir.resolve("t.strace"), "100 munmap(0x7ffff7fc0000, 4096) = 0\n");
        final String ok = "7ffff7fc0000-7ffff7fc2000 rw-p 00000000 00:00 0\n";
        final String[][] maps = {
            {ok + "7ffff7fc1000-7ffff7fc3000 r--p 00000000 00:00 0\n", "line 2 starts below the end of line 1"},
            {"7ffff7fc4000-7ffff7fc5000 rw-p 00000000 00:00 0\n" + ok, "line 2 starts below the end of line 1"},
            {ok + "800000000000-800000001000 rw-p 00000000 00:00 0\n", "line 2 lies above"},
            {"7ffff7fc0000-1ffffffffffffffff000 rw-p 00000000 00:00 0\n", "more than 64 bits"},
            {"\n", "has no mapping in it"}};
        for (String[] m : maps) {
            final Path f = Files.writeString(dir.resolve("m.maps"), m[0]);
            refused(SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", f.toString()), m[1]);
            refused(SpecfaultCliTest.run("replay", t.toString(), "--maps", f.toString()), m[1]);
        }
        final Path vsyscall = Files.writeString(dir.resolve("v.maps"),
                ok + "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n");
        assertEquals(0, SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", vsyscall.toString()).code());
    }

    /**
     * Lines that cannot be what strace printed for a real call are counted as unsupported, not
     * replayed into mismatches (found by fuzzing): the wrong number of arguments, an mmap "at" an
     * unaligned address, a clone whose result is no pid or the caller's own.
     */
    @Test
    void linesNoKernelPrintsAreUnsupportedNotMismatches(@TempDir Path dir) throws IOException {
        final Path t = Files.writeString(dir.resolve("bad.strace"), String.join("\n",
                "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0, 0, 0) = 0x7ffff7fc0000",
                "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fc0001",
                "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1",
                "100 clone(child_stack=NULL, flags=SIGCHLD) = 100",
                "100 clone(child_stack=NULL, flags=SIGCHLD) = 4294967396",
                "100 munmap(0x7ffff7fc0000) = 0", ""));
        final Result r = SpecfaultCliTest.run("replay", t.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        for (String u : new String[] {"mmap (unreadable: 8 arguments) x1", "mmap (unreadable: the result 0x7ffff7fc0001 is not",
            "mmap (unreadable: the result 0xffffffffffffffff is not", "clone (unreadable: the result 100 is not a child's pid)",
            "clone (unreadable: the result 4294967396 is not", "munmap (unreadable: 1 arguments)"}) {
            assertTrue(r.out().contains("unsupported: " + u), u + " in " + r.out());
        }
        for (long[] s : summaries(r)) {
            assertEquals(6, s[2], r.out());
        }
    }

    /**
     * The replay machine's limits are not the design's answers (found by fuzzing): more live
     * processes than its frames hold page-table roots for, an mlock of more memory than it has, are
     * counted as unsupported, not as mismatches or a crash; a file of 4 TiB is mapped (its page cache
     * stops at 1 TiB, with a note).
     */
    @Test
    void theReplayMachinesLimitsAreNotMismatches(@TempDir Path dir) throws IOException {
        final StringBuilder b = new StringBuilder("100 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
                + " = 0x7ffff7fc0000\n");
        for (int i = 0; i < 4200; i++) {
            b.append("100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD) = ")
                    .append(1000 + i).append('\n');
        }
        b.append("100 mmap(NULL, 67108864, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7fffb7fc0000\n");
        b.append("100 mlock(0x7fffb7fc0000, 67108864) = 0\n");
        b.append("100 mmap(NULL, 4398046511104, PROT_READ, MAP_SHARED, 3</nonexistent/big>, 0) = 0x7b0000000000\n");
        final Path t = Files.writeString(dir.resolve("limits.strace"), b.toString());
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--design", "speculative", "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("unsupported: clone (the replay machine's frames ran out)"), r.out());
        assertTrue(r.out().contains("unsupported: mlock (the replay machine's frames ran out) x1"), r.out());
        assertTrue(r.out().contains("note: /nonexistent/big is 4398046511104 bytes: its page cache here stops at"), r.out());
        assertFalse(r.out().contains("MISMATCH"), r.out());
        // With frames enough (--frames: 128 MiB), the same calls are replayed and compared.
        final Result big = SpecfaultCliTest.run("replay", t.toString(), "--design", "speculative", "--frames", "32768");
        assertEquals(0, big.code(), big.out() + big.err());
        assertFalse(big.out().contains("frames ran out"), big.out());
        assertTrue(big.out().contains("speculative: replayed=4204 mismatches=0 unsupported=0"), big.out());
        // Only a failure the limit explains is excused: an edited address stays a mismatch even when
        // the call's populate ran out of frames (found in review).
        final Path edited = Files.writeString(dir.resolve("edited.strace"), "100 mmap(0x7fffb7fc0000, 67108864,"
                + " PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_POPULATE, -1, 0) = 0x7fffb7fc1000\n");
        final Result e = SpecfaultCliTest.run("replay", edited.toString(), "--design", "speculative");
        assertEquals(1, e.code(), e.out() + e.err());
        assertTrue(e.out().contains("MISMATCH line 1"), e.out());
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "0 | --frames must be 64..16777216 (4 KiB each, up to 64 GiB): 0",
        "-5 | --frames must be 64..16777216",
        "16777217 | --frames must be 64..16777216",
        "lots | Invalid value for option '--frames'",
        "16777216 | --frames 16777216 needs 65"})
    void badFrameCountsAreOneLineErrors(String n, String expected, @TempDir Path dir) throws IOException {
        final Path t = Files.writeString(dir.resolve("t.strace"), "100 munmap(0x7ffff7fc0000, 4096) = 0\n");
        SpecfaultCliTest.assertOneLineError(SpecfaultCliTest.run("replay", t.toString(), "--frames", n.strip()),
                expected.strip());
    }

    @Test
    void helpListsReplay() {
        assertTrue(SpecfaultCliTest.run("--help").out().contains("replay"));
    }

    /**
     * Runs with threads, whose final layout differs from run to run (no final maps): CPython (a
     * growing bytearray: mremap) and a JVM (G1 with transparent huge pages: 70 MADV_HUGEPAGE,
     * MADV_DONTNEED, some twenty threads with their stacks and guard pages).
     */
    @ParameterizedTest
    @ValueSource(strings = {"python", "jvm"})
    void aRunWithThreadsReplaysCleanWithEveryCallCompared(String p) throws IOException {
        final Result r = SpecfaultCliTest.run("replay", res(p + ".strace"), "--initial-maps", res(p + ".initial.maps"));
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(calls(p + ".strace"), s[0], r.out());
            assertEquals(0, s[1] + s[2] + s[3], r.out());
        }
    }

    @Test
    void withoutInitialMapsTheLoadersOwnMemoryIsOutside() {
        final Result r = SpecfaultCliTest.run("replay", res("true.strace"), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(2, s[3], r.out()); // mprotect of the program's and ld.so's relro
        }
        assertTrue(r.out().contains("outside: line 12: mprotect(0x55555555c000, 4096, PROT_READ) = 0"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"einval", "enomem", "eexist", "efault", "eperm", "eopnotsupp", "ebusy", "brk", "mapflags"})
    void handWrittenErrnoTracesReplayClean(String p) throws IOException {
        final Result r = SpecfaultCliTest.run("replay", res("errnos/" + p + ".strace"), "--initial-maps",
                res("errnos/initial.maps"));
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(calls("errnos/" + p + ".strace"), s[0], "every call replayed and compared: " + r.out());
            assertEquals(0, s[1] + s[2] + s[3], r.out());
        }
    }

    @Test
    void partialEffectsOfFailedCallsMatchTheFinalMaps(@TempDir Path dir) throws IOException {
        Result r = SpecfaultCliTest.run("replay", res("errnos/enomem.strace"), "--initial-maps",
                res("errnos/initial.maps"), "--maps", res("errnos/enomem.final.maps"));
        assertEquals(0, r.code(), r.out() + r.err());
        // Had the failed mprotect over the hole changed nothing, pages 0-3 would still be rw-p.
        final Path wrong = dir.resolve("wrong.maps");
        Files.writeString(wrong, Files.readString(Path.of(res("errnos/enomem.final.maps")))
                .replace("7ffff7fb0000-7ffff7fb4000 r--p", "7ffff7fb0000-7ffff7fb4000 rw-p"));
        r = SpecfaultCliTest.run("replay", res("errnos/enomem.strace"), "--initial-maps", res("errnos/initial.maps"),
                "--maps", wrong.toString(), "--design", "locked");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("MISMATCH --maps line 3: expected rw-p, got r--p (0x7ffff7fb0000-0x7ffff7fb4000)"),
                r.out());
    }

    @Test
    void anEditedResultIsAMismatchAtItsLine(@TempDir Path dir) throws IOException {
        final List<String> lines = new ArrayList<>(Files.readAllLines(Path.of(res("mman.strace"))));
        assertTrue(lines.get(16).contains("mprotect(0x7ffff7dc2000, 32768, PROT_READ) = -1 ENOMEM"), lines.get(16));
        lines.set(16, lines.get(16).replace("-1 ENOMEM (Cannot allocate memory)", "0"));
        // and a placement where this layout has a mapping: the kernel "chose" libc's address
        assertTrue(lines.get(19).contains("= 0x7ffff7fbc000"), lines.get(19));
        lines.set(19, lines.get(19).replace("= 0x7ffff7fbc000", "= 0x7ffff7dd5000"));
        final Path t = dir.resolve("wrong.strace");
        Files.write(t, lines);
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("mman.initial.maps"));
        assertEquals(1, r.code(), r.out() + r.err());
        for (String d : DESIGNS) {
            assertTrue(r.out().contains("MISMATCH line 17: mprotect(0x7ffff7dc2000, 32768, PROT_READ) = 0 (kernel), " + d
                    + " returned -1 ENOMEM"), r.out());
            assertTrue(r.out().contains("MISMATCH line 20: mmap(NULL, 16384,") && r.out().contains(d
                    + " returned -1 EEXIST (the kernel placed it where this layout has a mapping)"), r.out());
        }
        for (long[] s : summaries(r)) {
            assertTrue(s[1] >= 2, r.out());
        }
    }

    /**
     * A brk the kernel refused for a reason not modelled (RLIMIT_DATA) and the emulator granted: one
     * mismatch, and the replay follows the kernel's break, so the heap it did not grow does not
     * make the next call a second one.
     */
    @Test
    void aRefusedBrkIsFollowed(@TempDir Path dir) throws IOException {
        final Path t = dir.resolve("t.strace");
        Files.writeString(t, "1 execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 brk(NULL) = 0x55555555a000\n"
                + "1 brk(0x555555600000) = 0x55555555a000\n"
                + "1 mmap(0x555555560000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0)"
                + " = 0x555555560000\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"));
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("MISMATCH line 3: brk(0x555555600000) = 0x55555555a000 (kernel), speculative"
                + " returned 0x555555600000\n"), r.out());
        assertEquals(3, r.out().lines().filter(l -> l.startsWith("MISMATCH")).count(), "one per design: " + r.out());
        for (long[] s : summaries(r)) {
            assertEquals(4, s[0], r.out());
            assertEquals(1, s[1], r.out());
        }
    }

    /**
     * Replays {@code text} (written to {@code trace}) with errnos/initial.maps and checks the exit code
     * and every design's summary: replayed, mismatches, unsupported, outside.
     */
    private static void assertReplays(Path trace, String text, int code, long... summary) throws IOException {
        Files.writeString(trace, text);
        final Result r = SpecfaultCliTest.run("replay", trace.toString(), "--initial-maps", res("errnos/initial.maps"));
        assertEquals(code, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(java.util.Arrays.toString(summary), java.util.Arrays.toString(java.util.Arrays.copyOf(s, 4)), r.out());
        }
    }

    private static final String EXECVE = "1 execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n";

    /** random-files.c's files, at their sizes: the replay sizes a named file from this machine's. */
    private static void randomFiles() throws IOException {
        final Path dir = Files.createDirectories(Path.of("/tmp/rsf"));
        try (java.io.RandomAccessFile eight = new java.io.RandomAccessFile(dir.resolve("eight").toFile(), "rw");
                java.io.RandomAccessFile shortOne = new java.io.RandomAccessFile(dir.resolve("short").toFile(), "rw")) {
            eight.setLength(8 * 4096);
            shortOne.setLength(5 * 4096 + 100);
        }
    }

    /**
     * random-files.c's mix recorded with vm.max_map_count at 1000 and the map count filled to 27
     * below it ({@code FILL=27 /tmp/random3 19 flags gd}): 90 calls refused with ENOMEM or EAGAIN, many
     * at the limit. It replays clean, with --maps, only with --max-map-count 1000 (with Linux's
     * default the limit is never reached) and --no-zero-page: this machine's kernel gives an area
     * an anon_vma for a read of private anonymous memory (AnonReadTest), and the pages mlockall
     * read in kept areas apart.
     */
    @Test
    void aTraceRecordedWithALowerMapCountLimit() throws IOException {
        randomFiles();
        final String[] args = {"replay", res("random-mapcount.strace"), "--initial-maps",
            res("random-mapcount.initial.maps"), "--maps", res("random-mapcount.final.maps"), "--design", "all"};
        Result r = SpecfaultCliTest.run(java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--max-map-count", "1000", "--no-zero-page")).toArray(String[]::new));
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(0, s[3], r.out());
        }
        r = SpecfaultCliTest.run(args);
        assertEquals(1, r.code(), "the limit matters: " + r.out());
        r = SpecfaultCliTest.run(java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--max-map-count", "1000")).toArray(String[]::new));
        assertEquals(1, r.code(), "so does the zero page: " + r.out());
        r = SpecfaultCliTest.run("replay", res("random-mapcount.strace"), "--max-map-count", "0");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--max-map-count must be at least 1"), r.err());
    }

    /**
     * random-files.c's mix made by two threads at once ({@code /tmp/random3 5 flags gd threads}): 809
     * calls replayed with no mismatch on every design; one munlock ran beside another thread's call
     * on the same pages and its result needs the other order: outside, with the note. (No --maps:
     * the snapshot comes from another run, whose threads interleave differently.)
     */
    @Test
    void twoThreadsMakingTheRandomMixAtOnce() throws IOException {
        randomFiles();
        final Result r = SpecfaultCliTest.run("replay", res("random-threads.strace"), "--initial-maps",
                res("random-threads.initial.maps"), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("note: line 77 ran beside line 78 of another thread on the same pages"), r.out());
        for (long[] s : summaries(r)) {
            assertEquals(809, s[0], r.out());
            assertEquals(0, s[1], r.out());
            assertEquals(1, s[3], r.out());
        }
    }

    /**
     * Two threads' calls on the same pages that ran at the same time (one started before the other
     * ended): strace's order need not be the kernel's, so a mismatch there is outside, with a note.
     * The same claim without the overlap in time, or on other pages, is still a mismatch.
     */
    @Test
    void overlappingCallsOfTwoThreadsOnTheSamePagesAreNotMismatches(@TempDir Path dir) throws IOException {
        final String start = EXECVE
                + "1 mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fbc000\n"
                + "1 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0,"
                + " stack=0x7ffff7f00000, stack_size=0x4000} => {parent_tid=[2]}, 88) = 2\n";
        // the kernel unmapped first, then refused the mprotect; strace logged the mprotect's end first
        final String overlap = start + "1 munmap(0x7ffff7fbc000, 16384 <unfinished ...>\n"
                + "2 mprotect(0x7ffff7fbc000, 4096, PROT_READ) = -1 ENOMEM (Cannot allocate memory)\n"
                + "1 <... munmap resumed>) = 0\n";
        assertReplays(dir.resolve("a.strace"), overlap, 0, 4, 0, 0, 1);
        final Result r = SpecfaultCliTest.run("replay", dir.resolve("a.strace").toString(), "--initial-maps",
                res("errnos/initial.maps"), "-v", "--design", "speculative");
        assertTrue(r.out().contains("note: line 5 ran beside line 4 of another thread on the same pages"), r.out());
        // one after the other: the mprotect's claim is wrong whatever the threads did
        assertReplays(dir.resolve("b.strace"), start + "1 munmap(0x7ffff7fbc000, 16384) = 0\n"
                + "2 mprotect(0x7ffff7fbc000, 4096, PROT_READ) = 0\n", 1, 5, 1, 0, 0);
        // at the same time, but on other pages
        assertReplays(dir.resolve("c.strace"), start + "1 munmap(0x7ffff7fbc000, 4096 <unfinished ...>\n"
                + "2 mprotect(0x7ffff7fbe000, 4096, PROT_READ) = -1 ENOMEM (Cannot allocate memory)\n"
                + "1 <... munmap resumed>) = 0\n", 1, 5, 1, 0, 0);
        // at the same time as a call that changed nothing (EINVAL)
        assertReplays(dir.resolve("d.strace"), start + "1 munmap(0x7ffff7fbc001, 4096 <unfinished ...>\n"
                + "2 mprotect(0x7ffff7fbc000, 4096, PROT_READ) = -1 ENOMEM (Cannot allocate memory)\n"
                + "1 <... munmap resumed>) = -1 EINVAL (Invalid argument)\n", 1, 5, 1, 0, 0);
    }

    /**
     * Found by review (2026-12-01): a malformed line of another thread is not a crash; a call
     * replayed ahead of its turn inside a demoted one still counts; a call replayed ahead still ran
     * beside the calls that came after it.
     */
    @Test
    void overlapBookkeeping(@TempDir Path dir) throws IOException {
        final String clone = "1 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM,"
                + " exit_signal=0, stack=0x7ffff7000000, stack_size=0x2000}, 88) = 2\n";
        // an mmap of 3 arguments beside a munmap: "unreadable: 3 arguments", not an exception
        assertReplays(dir.resolve("a.strace"), EXECVE
                + "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7000000\n" + clone
                + "2 mmap(NULL, 4096, PROT_READ <unfinished ...>\n1 munmap(0x7ffff7000000, 4096) = 0\n"
                + "2 <... mmap resumed>) = -1 ENOMEM (Cannot allocate memory)\n", 0, 4, 0, 1, 0);
        // the munmap is replayed ahead for the mmap's address, which then mismatches: 5 calls counted
        final String two = EXECVE
                + "1 mmap(0x7ffff7000000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7ffff7000000\n"
                + "1 mmap(0x7ffff7002000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7ffff7002000\n"
                + clone + "2 munmap(0x7ffff7000000, 8192 <unfinished ...>\n"
                + "1 mmap(NULL, 12288, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7000000\n"
                + "2 <... munmap resumed>) = 0\n";
        assertReplays(dir.resolve("b.strace"), two, 0, 5, 0, 0, 1);
        // the munmap (replayed ahead for line 6) also ran beside line 5's mprotect, which the kernel
        // applied first
        assertReplays(dir.resolve("c.strace"), EXECVE
                + "1 mmap(0x7ffff7000000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7ffff7000000\n"
                + clone + clone.replace("= 2", "= 3") + "2 munmap(0x7ffff7000000, 8192 <unfinished ...>\n"
                + "3 mprotect(0x7ffff7001000, 4096, PROT_READ <unfinished ...>\n"
                + "1 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7000000\n"
                + "3 <... mprotect resumed>) = 0\n2 <... munmap resumed>) = 0\n", 0, 6, 0, 0, 1);
        final Result r = SpecfaultCliTest.run("replay", dir.resolve("c.strace").toString(), "--initial-maps",
                res("errnos/initial.maps"), "-v", "--design", "speculative");
        assertTrue(r.out().contains("note: line 6 ran beside line 5 of another thread"), r.out());
    }

    /**
     * A file mmap's EPERM is compared where a FIXED mapping would replace a sealed area (mseal's
     * EPERM); elsewhere it may come from the file's mount or seals, which the trace does not show.
     */
    @Test
    void aFileMappingsEpermIsComparedOverASealedArea(@TempDir Path dir) throws IOException {
        final String head = EXECVE
                + "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fbb000\n"
                + "1 syscall_0x1ce(0x7ffff7fbc000, 0x1000, 0, 0xffffffff, 0, 0) = 0\n";
        final String over = "1 mmap(0x7ffff7fbb000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3</memfd:f>(deleted), 0) = ";
        final String eperm = "-1 EPERM (Operation not permitted)\n";
        final Path t = dir.resolve("t.strace");
        assertReplays(t, head + over + eperm, 0, 4, 0, 0, 0);
        // The kernel mapping it anyway is a mismatch: the comparison is made.
        assertReplays(t, head + over + "0x7ffff7fbb000\n", 1, 4, 1, 0, 0);
        // Over the unsealed page only, a file's EPERM is the file's: unsupported, as before.
        assertReplays(t, head + over.replace("8192, PROT_READ", "4096, PROT_READ") + eperm, 0, 3, 0, 1, 0);
    }

    /**
     * A FIXED mmap's EPERM over memory partly unknown here (an mseal the replay could not follow
     * may lie there) is outside, not a mismatch (found by replaying random calls, 2026-12-01). The
     * second one is over known, unsealed memory: a mismatch.
     */
    @Test
    void aFixedMmapsEpermOverUnknownMemoryIsOutside(@TempDir Path dir) throws IOException {
        assertReplays(dir.resolve("t.strace"), EXECVE
                + "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fbb000\n"
                + "1 pkey_mprotect(0x7ffff7fbb000, 4096, PROT_READ|PROT_WRITE, 1) = 0\n"
                + "1 mmap(0x7ffff7fbb000, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = -1 EPERM (Operation not permitted)\n"
                + "1 mmap(0x7ffff7fbc000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = -1 EPERM (Operation not permitted)\n",
                1, 3, 1, 1, 1);
    }

    /**
     * A file the replay sizes by its mappings (a memfd; strace shows no ftruncate): a populate or an
     * mlock over it is outside, since the file's real end decides it; over a file read here, of
     * known size, the same calls are compared (found by replaying random calls, 2026-12-01).
     */
    @Test
    void aPopulateOverAFileOfUnknownSizeIsOutside(@TempDir Path dir) throws IOException {
        final Path known = dir.resolve("one-page");
        Files.write(known, new byte[4096]);
        final String calls = EXECVE + "1 mmap(NULL, 8192, PROT_READ, MAP_SHARED, 3<FILE>, 0) = 0x7ffff7fbb000\n"
                + "1 madvise(0x7ffff7fbb000, 8192, MADV_POPULATE_READ) = -1 EFAULT (Bad address)\n"
                + "1 mlock2(0x7ffff7fbb000, 8192, 0) = -1 ENOMEM (Cannot allocate memory)\n"
                + "1 mlock2(0x7ffff7fbb000, 8192, MLOCK_ONFAULT) = 0\n";
        final Path t = dir.resolve("t.strace");
        assertReplays(t, calls.replace("<FILE>", "</memfd:m>(deleted)"), 0, 3, 0, 0, 2);
        assertReplays(t, calls.replace("<FILE>", "<" + known + ">"), 0, 5, 0, 0, 0);
    }

    /** A duplicate (old_len 0) still depends on the area at its address: over unknown memory, outside. */
    @Test
    void aDuplicateOfUnknownMemoryIsOutside(@TempDir Path dir) throws IOException {
        final Path t = dir.resolve("t.strace");
        Files.writeString(t, "1 execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fbb000\n"
                + "1 pkey_mprotect(0x7ffff7fbb000, 8192, PROT_READ|PROT_WRITE, 1) = 0\n"
                + "1 mremap(0x7ffff7fbb000, 0, 8192, MREMAP_MAYMOVE) = 0x7ffff7fb9000\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"));
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(2, s[0], r.out());
            assertEquals(0, s[1], r.out());
            assertEquals(1, s[2], r.out()); // pkey_mprotect with a key
            assertEquals(1, s[3], r.out());
        }
    }

    /**
     * An x86 trace replayed on arm64 (TASK_SIZE 2^48) maps 2^47 bytes where x86 said EINVAL: --touch
     * faults a bounded number of pages and says so, rather than list or walk them all.
     */
    @Test
    void touchIsBoundedOnAHugeMapping() throws IOException {
        final Result r = SpecfaultCliTest.run("replay", res("layout.strace"), "--initial-maps", res("layout.initial.maps"),
                "--arch", "arm64", "--touch", "--design", "speculative", "-v");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("MISMATCH line 18: mremap(0x7ffff7d91000, 4096, 140737488355328, MREMAP_MAYMOVE)"
                + " = -1 EINVAL (kernel), speculative returned 0x800000000000"), r.out());
        assertTrue(r.out().contains("note: --touch: the first 4194903 of the 34359738967 mapped pages"), r.out());
    }

    @Test
    void madvFreeIsReplayedWithItsErrnos(@TempDir Path dir) throws IOException {
        final Path t = dir.resolve("t.strace");
        // From /tmp/mf on this machine's kernel (6.18): EINVAL on shared anonymous memory, ENOMEM past the end.
        Files.writeString(t, "1 execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fb0000\n"
                + "1 madvise(0x7ffff7fb0000, 8192, MADV_FREE) = 0\n"
                + "1 madvise(0x7ffff7fb0000, 16384, MADV_FREE) = -1 ENOMEM (Cannot allocate memory)\n"
                + "1 mmap(0x7ffff7f00000, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7ffff7f00000\n"
                + "1 madvise(0x7ffff7f00000, 4096, MADV_FREE) = -1 EINVAL (Invalid argument)\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"),
                "--design", "speculative,locked,kernel-lock");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("unsupported: madvise"), r.out());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(0, s[2], r.out());
            assertEquals(6, s[0], r.out());
        }
    }

    @Test
    void aMoveWhereThisLayoutCouldGrowInPlaceIsAMismatch(@TempDir Path dir) throws IOException {
        final Path t = dir.resolve("t.strace");
        final String head = "1 execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fb0000\n";
        // Room above: the kernel would have grown it in place.
        Files.writeString(t, head + "1 mremap(0x7ffff7fb0000, 8192, 16384, MREMAP_MAYMOVE) = 0x7ffff7f00000\n");
        Result r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"),
                "--design", "speculative", "--maps", res("errnos/initial.maps"));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().startsWith("MISMATCH line 3: mremap(0x7ffff7fb0000, 8192, 16384, MREMAP_MAYMOVE) = 0x7ffff7f00000"
                + " (kernel), speculative returned 0x7ffff7fb0000 (the kernel moved it; this layout lets it grow in place"),
                r.out());
        // No room above: the move is replayed to the kernel's address.
        Files.writeString(t, head + "1 mmap(0x7ffff7fb2000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0)"
                + " = 0x7ffff7fb2000\n1 mremap(0x7ffff7fb0000, 8192, 16384, MREMAP_MAYMOVE) = 0x7ffff7f00000\n"
                + "1 munmap(0x7ffff7f00000, 16384) = 0\n1 mprotect(0x7ffff7fb0000, 4096, PROT_READ) = -1 ENOMEM (Cannot allocate memory)\n");
        r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"));
        assertEquals(0, r.code(), r.out());
    }

    /**
     * What the model does not cover but the kernel did leaves its range unknown, so that the calls
     * after it there are "outside", not mismatches: a MAP_HUGETLB mapping. A file's EPERM/EACCES
     * depends on its mount or open mode (unsupported); an unlinked file's "(deleted)" path is a file
     * of its own. The trace's MREMAP_DONTUNMAP move, MADV_DONTFORK and fork, mlock (a locked page
     * refuses MADV_DONTNEED), mlockall with MCL_FUTURE (mappings made after it are locked too) and
     * munlockall were not modelled when it was written; they are replayed and compared now, and so
     * are the two calls on the range the move left behind.
     */
    @Test
    void callsTheModelDoesNotCoverLeaveTheirRangesOutside() throws IOException {
        final Result r = SpecfaultCliTest.run("replay", res("errnos/notmodelled.strace"), "--initial-maps",
                res("errnos/initial.maps"), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("MREMAP_DONTUNMAP"), r.out());
        for (String u : new String[] {"mmap (MAP_HUGETLB) x1 (line 2)",
            "mmap (EPERM: file state not modelled) x1 (line 10)",
            "mprotect (EACCES: the file's open mode or mount not modelled) x2 (line 12, 13)"}) {
            assertTrue(r.out().contains("unsupported: " + u), u + " in " + r.out());
        }
        assertTrue(r.out().contains("outside: line 3: mprotect(0x7fffe0000000"), r.out());
        assertFalse(r.out().contains("outside: line 6"), r.out());
        assertFalse(r.out().contains("outside: line 7"), r.out());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(4, s[2], r.out());
            assertEquals(1, s[3], r.out());
            assertEquals(calls("errnos/notmodelled.strace") - 4 - 1, s[0], r.out());
        }
    }

    /**
     * 32 threads of one process (threads24.c) map, mprotect and unmap at once. strace logs a call
     * when it ends: one thread's munmap (line 72, unfinished) ends after another thread's mmap has
     * been given the address it freed (line 74). Replayed in the order of the log, the mmap would
     * find the range taken; the munmap, which was running, is replayed first.
     */
    @Test
    void overlappingCallsOfThreadsReplayInAnOrderTheKernelCouldHaveUsed() throws IOException {
        final Result r = SpecfaultCliTest.run("replay", res("threads24.strace"), "--initial-maps",
                res("threads24.initial.maps"), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("note: line 72 replayed before line 74: both were running"), r.out());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(0, s[2] + s[3], r.out());
            assertEquals(calls("threads24.strace"), s[0], r.out());
        }
    }

    /**
     * Advice that changes vm_flags, refused by the kernel over memory partly unknown here (an
     * unmodelled MAP_HUGETLB area between two anonymous ones, which refuses WIPEONFORK): which areas
     * the kernel changed before it stopped is not known, so the whole range becomes unknown and the
     * mremap that grows the right-hand area (split here, whole in the kernel) is outside, not a
     * mismatch. An argument's EINVAL is still compared there.
     */
    @Test
    void aRefusedFlagAdviceOverUnknownMemoryLeavesItsRangeUnknown() {
        final Result r = SpecfaultCliTest.run("replay", res("errnos/flagsunknown.strace"), "--initial-maps",
                res("errnos/initial.maps"), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("outside: line 5: madvise(0x7ffff7bfe000, 2113536, MADV_WIPEONFORK)"), r.out());
        assertTrue(r.out().contains("outside: line 6: mremap(0x7ffff7e00000"), r.out());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(6, s[0], r.out()); // execve, two mmaps, the two madvise after, exit_group
            assertEquals(1, s[2], r.out());
            assertEquals(2, s[3], r.out());
        }
    }

    /**
     * A trace recorded without CAP_IPC_LOCK: mlock's EPERM and EAGAIN, mlockall's ENOMEM come from
     * privileges and RLIMIT_MEMLOCK, which are not modelled (unsupported, nothing replayed); an
     * mlock's ENOMEM that the space does not give leaves its range unknown (the kernel may have
     * locked part of it), so the MADV_DONTNEED after it is outside, not a mismatch.
     */
    @Test
    void mlockRefusedByPrivilegesOrTheLimitIsNotReplayed() {
        final Result r = SpecfaultCliTest.run("replay", res("errnos/mlocklimit.strace"), "--initial-maps",
                res("errnos/initial.maps"), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("unsupported: mlock (EPERM: RLIMIT_MEMLOCK and privileges not modelled) x1 (line 3)"),
                r.out());
        assertTrue(r.out().contains("outside: line 6: mlock(0x7ffff7a00000"), r.out());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(3, s[2], r.out());
            assertEquals(3, s[3], r.out()); // the mlock, then both madvise in its range
            assertEquals(3, s[0], r.out()); // execve, mmap, exit_group
        }
    }

    @Test
    void unsupportedCallsAreCountedAndListed() {
        final Result r = SpecfaultCliTest.run("replay", res("errnos/unsupported.strace"), "--initial-maps",
                res("errnos/initial.maps"), "--design", "speculative,locked,kernel-lock");
        assertEquals(0, r.code(), r.out() + r.err());
        for (String u : new String[] {"arch_prctl x1 (line 2)", "set_tid_address x1 (line 3)",
            "mmap (MAP_HUGETLB) x1 (line 4)", "madvise (MADV_COLLAPSE) x1 (line 6)",
            "mmap (EACCES: file state not modelled) x1 (line 9)",
            "mmap of a file without its path (strace -y prints it) x1 (line 10)", "unreadable line (no call) x1 (line 11)",
            "pidfd_send_signal x1 (line 12)", "clone (interrupted: ERESTARTNOINTR) x1 (line 13)"}) {
            assertTrue(r.out().contains("unsupported: " + u), u + " in " + r.out());
        }
        for (long[] s : summaries(r)) {
            assertEquals(9, s[2], r.out());
            // execve, mmap, mincore, mprotect with PROT_GROWSDOWN (on [stack]), exit_group
            assertEquals(5, s[0], r.out());
        }
    }

    /** A pid no kernel gives (over 2^22, over an int here) is an unreadable line, not a crash. */
    @Test
    void aPidOutOfRangeIsAnUnreadableLine(@TempDir Path dir) throws IOException {
        final Path t = dir.resolve("bigpid.strace");
        Files.writeString(t, "99999999999 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fba000\n"
                + "1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fb9000\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--design", "speculative");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("unsupported: unreadable line (pid 99999999999 out of range) x1 (line 1)"), r.out());
        assertTrue(r.out().contains("speculative: replayed=1 mismatches=0 unsupported=1 outside=0"), r.out());
    }

    /**
     * wait4 and waitid are checked against their arguments and the process tree the replay keeps
     * (errnos/wait.strace, hand-written from wait.strace, whose every wait replays clean): a child
     * reaped (or reported exited through WNOWAIT) while it runs, ECHILD with a child running, 0
     * without WNOHANG, a pid that is no child, options the kernel refuses, a stop without WUNTRACED,
     * a child reaped twice, INT_MIN, a clone child waited for without __WCLONE, another pid than the
     * one asked for, waitid's result. Line 26's ECHILD after a child exited is no mismatch (SIGCHLD
     * ignored reaps at exit, and the trace does not show sigaction).
     */
    @Test
    void waitsTheProcessTreeContradictsAreMismatches() {
        final Result r = SpecfaultCliTest.run("replay", res("errnos/wait.strace"));
        assertEquals(1, r.code(), r.out() + r.err());
        final String k = " (kernel), speculative's replay: ";
        final String exited = "{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=%d, si_uid=0, si_status=0, si_utime=0, si_stime=0}";
        final String none = "pid 100 has no child to wait for (ECHILD)";
        for (String m : new String[] {
            "line 3: wait4(101, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 101" + k + "pid 101 is still running",
            "line 4: wait4(-1, 0x7fffffffe6d0, 0, NULL) = -1 ECHILD" + k
                + "pid 100 has children running to wait for: [101 (running)]",
            "line 5: wait4(-1, 0x7fffffffe6d0, 0, NULL) = 0" + k + "it cannot report no answer without WNOHANG",
            "line 6: wait4(555, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 555" + k + none,
            "line 7: wait4(-1, 0x7fffffffe6d0, 0x100 /* W??? */, NULL) = 0" + k + "its arguments give -1 EINVAL",
            "line 8: waitid(P_PID, 101, " + String.format(exited, 101) + ", WEXITED|WNOWAIT, NULL) = 0" + k
                + "pid 101 is still running",
            "line 9: wait4(101, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], 0, NULL) = 101" + k
                + "it cannot report a stop without WUNTRACED",
            "line 14: wait4(101, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 101" + k + none,
            "line 15: wait4(-1, 0x7fffffffe6d0, WNOHANG, NULL) = 0" + k + none,
            "line 16: wait4(-2147483648, 0x7fffffffe6d0, 0, NULL) = -1 ECHILD" + k + "its arguments give -1 ESRCH",
            "line 18: wait4(102, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WSTOPPED, NULL) = 102" + k + none,
            "line 19: wait4(102, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WSTOPPED|__WCLONE, NULL) = 102" + k
                + "pid 102 is still running",
            "line 20: wait4(102, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], __WCLONE, NULL) = 103" + k
                + "a wait for pid 102 reports that pid or none",
            "line 21: waitid(P_ALL, 0, " + String.format(exited, 102) + ", WEXITED|__WCLONE, NULL) = 5" + k
                + "waitid returns 0 when it succeeds"}) {
            assertTrue(r.out().contains("MISMATCH " + m + "\n"), m + " in " + r.out());
        }
        for (long[] sum : summaries(r)) {
            assertEquals(24, sum[0], r.out());
            assertEquals(14, sum[1], r.out()); // lines 12 (WNOWAIT), 13 (the reap) and 26 agree
            assertEquals(0, sum[2], r.out());
            assertEquals(0, sum[3], r.out());
        }
    }

    /**
     * kill, tkill and tgkill are checked against their arguments and the tasks the trace shows
     * (errnos/kill.strace, hand-written from kill.strace, which replays clean): a bad signal, pid
     * INT_MIN, ids below 1, ESRCH for a live task, a thread of another group, EAGAIN where no queue
     * limit applies (kill's SI_USER, a signal below 32). Outside: a pid outside the trace, EPERM
     * (credentials), a reaped child's pid (maybe another process's now), ESRCH for a zombie (reaped
     * at exit under SIGCHLD ignored), a real-time tgkill's EAGAIN (RLIMIT_SIGPENDING).
     */
    @Test
    void signalsTheTraceContradictsAreMismatches() {
        final Result r = SpecfaultCliTest.run("replay", res("errnos/kill.strace"), "--verbose");
        assertEquals(1, r.code(), r.out() + r.err());
        final String k = " (kernel), speculative's replay: ";
        for (String m : new String[] {
            "line 2: kill(690, 100) = 0" + k + "signal 100 is none (0 to 64): -1 EINVAL",
            "line 3: kill(690, 0) = -1 ESRCH" + k + "pid 690 is alive or a zombie: it takes the signal",
            "line 4: kill(0, 100) = 0" + k + "signal 100 is none (0 to 64): -1 EINVAL",
            "line 5: kill(-1, 100) = 0" + k + "signal 100 is none (0 to 64): -1 EINVAL",
            "line 6: kill(-2147483648, 0) = 0" + k + "pid INT_MIN: -1 ESRCH",
            "line 7: tkill(0, 0) = 0" + k + "an id below 1: -1 EINVAL",
            "line 8: tgkill(690, 0, 0) = -1 ESRCH" + k + "an id below 1: -1 EINVAL",
            "line 10: tgkill(690, 691, 0) = -1 ESRCH" + k + "thread 691 is alive or a zombie: it takes the signal",
            "line 11: tkill(691, SIGRT_32) = -1 EINVAL" + k + "thread 691 is alive or a zombie: it takes the signal",
            "line 16: tgkill(692, 691, 0) = 0" + k + "thread 691 is 690's, not 692's: -1 ESRCH",
            "line 17: kill(692, 65) = 0" + k + "signal 65 is none (0 to 64): -1 EINVAL",
            "line 22: kill(690, SIGRT_4) = -1 EAGAIN" + k + "pid 690 is alive or a zombie: it takes the signal",
            "line 23: tgkill(690, 690, SIGTERM) = -1 EAGAIN" + k + "thread 690 is alive or a zombie: it takes the signal"}) {
            assertTrue(r.out().contains("MISMATCH " + m + "\n"), m + " in " + r.out());
        }
        for (String o : new String[] {"line 15: kill(692, 0) = -1 ESRCH", "line 18: kill(999999, 100) = 0",
            "line 19: kill(692, SIGTERM) = -1 EPERM", "line 21: kill(692, 0) = 0",
            "line 24: tgkill(690, 690, SIGRT_4) = -1 EAGAIN"}) {
            assertTrue(r.out().contains("outside: " + o + "\n"), o + " in " + r.out());
        }
        for (long[] sum : summaries(r)) {
            assertEquals(19, sum[0], r.out());
            assertEquals(13, sum[1], r.out());
            assertEquals(0, sum[2], r.out());
            assertEquals(5, sum[3], r.out());
        }
    }

    /**
     * kill's lines that no kernel prints are unsupported (unreadable); the caller is alive whatever
     * else the trace shows (a trace without its execve: kill of the caller itself is judged); an
     * errno the replay does not know is no success.
     */
    @Test
    void signalLinesNoKernelPrintsAreUnsupported(@TempDir Path dir) throws IOException {
        final Path t = Files.writeString(dir.resolve("kills.strace"), String.join("\n",
                "100 kill(abc, 0) = 0", "100 kill(100) = 0", "100 tgkill(1, 2) = 0",
                "100 tkill(100, 99999999999999999999) = -1 EINVAL (Invalid argument)", "100 kill(100, SIGUSR1) = 0",
                "100 kill(100, 0) = -1 EWHAT (What)", ""));
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--design", "speculative");
        assertEquals(1, r.code(), r.out() + r.err());
        for (String u : new String[] {"kill (unreadable arguments) x1 (line 1)", "kill (unreadable: 1 arguments) x1 (line 2)",
            "tgkill (unreadable: 2 arguments) x1 (line 3)", "tkill (unreadable arguments) x1 (line 4)"}) {
            assertTrue(r.out().contains("unsupported: " + u), u + " in " + r.out());
        }
        assertTrue(r.out().contains("MISMATCH line 6: kill(100, 0) = -1 EWHAT (kernel), speculative's replay: pid 100 is"
                + " alive or a zombie: it takes the signal"), r.out());
        assertTrue(r.out().contains("speculative: replayed=2 mismatches=1 unsupported=4 outside=0"), r.out());
    }

    /**
     * Signals whose answers the trace cannot foretell, from real programs (a review's, 2026-11-30):
     * a real-time tgkill past RLIMIT_SIGPENDING (EAGAIN), a child reaped at its exit under
     * SA_NOCLDWAIT (ESRCH), the tid of a thread that runs execve (ESRCH, in signals-exec.strace
     * before strace says "superseded", in signals.strace after). All outside, none a mismatch; the
     * non-leader's execve, left unfinished under its tid and resumed under the leader's, is
     * replayed (it was an unreadable line before).
     */
    @ParameterizedTest
    @ValueSource(strings = {"signals", "signals-exec"})
    void signalsTheKernelMayRefuseAreOutside(String p) {
        final Result r = SpecfaultCliTest.run("replay", res(p + ".strace"), "--verbose");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("MISMATCH"), r.out());
        final String[] outside = p.equals("signals")
            ? new String[] {"line 19: tgkill(6545, 6545, SIGRT_4) = -1 EAGAIN", "line 27: kill(6546, 0) = -1 ESRCH",
                "line 99: tgkill(6545, 6548, 0) = -1 ESRCH", "line 101: tkill(6548, 0) = -1 ESRCH"}
            : new String[] {"line 27: tgkill(4672, 4674, 0) = -1 ESRCH", "line 29: kill(4674, 0) = -1 ESRCH",
                "line 30: tkill(4674, 0) = -1 ESRCH"};
        for (String o : outside) {
            assertTrue(r.out().contains("outside: " + o + "\n"), o + " in " + r.out());
        }
        for (long[] sum : summaries(r)) {
            assertEquals(0, sum[1], r.out());
            assertEquals(0, sum[2], r.out());
        }
    }

    /**
     * The tree's verdicts need a tree the trace shows whole: with a child whose pid is not the one
     * its creator was told (a pid namespace: strace prints the host's pids), the waits are outside,
     * never mismatches.
     */
    @Test
    void aPidNamespaceMakesTheWaitsOutside(@TempDir Path dir) throws IOException {
        final Path t = Files.writeString(dir.resolve("ns.strace"), String.join("\n",
                "100   execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0",
                "100   clone(child_stack=NULL, flags=CLONE_NEWPID|SIGCHLD) = 2",
                "101   exit_group(0)                     = ?",
                "101   +++ exited with 0 +++",
                "100   wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 2",
                "100   wait4(-1, 0x7fffffffe6d0, 0, NULL) = 0",
                "100   exit_group(0)                     = ?", ""));
        final Result r = SpecfaultCliTest.run("replay", t.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("MISMATCH line 6: wait4(-1, 0x7fffffffe6d0, 0, NULL) = 0 (kernel), speculative's replay: "
                + "it cannot report no answer without WNOHANG"), r.out()); // the arguments are still checked
        for (long[] sum : summaries(r)) {
            assertEquals(1, sum[1], r.out());
            assertEquals(1, sum[3], r.out()); // line 5
        }
    }

    @Test
    void threadsShareTheSpaceForkCopiesItVforkSharesUntilExecve(@TempDir Path dir) throws IOException {
        Result r = SpecfaultCliTest.run("replay", res("errnos/tasks.strace"), "--initial-maps",
                res("errnos/initial.maps"), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(0, s[1], r.out());
            assertEquals(2, s[3], r.out()); // the exec'd /bin/true's own memory
        }
        assertTrue(r.out().contains("outside: line 23: mprotect(0x7ffff75d5000, 4096, PROT_READ) = -1 ENOMEM"), r.out());
        // As a fork, the thread's munmap would not be seen by the main thread at line 10.
        final Path t = dir.resolve("fork.strace");
        Files.writeString(t, Files.readString(Path.of(res("errnos/tasks.strace"))).replace("{flags=CLONE_VM|", "{flags="));
        r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"), "--design",
                "speculative");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().startsWith("MISMATCH line 10: mprotect(0x7ffff75d1000, 4096, PROT_READ) = -1 ENOMEM"), r.out());
    }

    @Test
    void touchFaultsEveryPageFromSeveralCpusOnBothArchitectures() throws IOException {
        for (String arch : new String[] {"x86", "arm64"}) {
            final Result r = SpecfaultCliTest.run("replay", res("true.strace"), "--initial-maps", res("true.initial.maps"),
                    "--maps", res("true.final.maps"), "--touch", "--cpus", "3", "-v", "--arch", arch);
            assertEquals(0, r.code(), r.out() + r.err());
            long pages = 0;
            for (String l : Files.readAllLines(Path.of(res("true.final.maps")))) {
                final String[] range = l.split(" ")[0].split("-");
                if (!l.contains("[vsyscall]")) {
                    pages += (Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16)) >>> 12;
                }
            }
            assertEquals(3, r.out().split("--touch: " + pages + " pages faulted from 3 CPUs", -1).length - 1, r.out());
            for (long[] s : summaries(r)) {
                assertEquals(0, s[1], r.out());
            }
        }
    }

    @Test
    void touchBeyondTheEndOfAFileIsSigbusNotAMismatch(@TempDir Path dir) throws IOException {
        final Path file = dir.resolve("small");
        Files.writeString(file, "one page at most");
        final Path t = dir.resolve("t.strace");
        Files.writeString(t, "1 execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 mmap(NULL, 12288, PROT_READ, MAP_PRIVATE, 3<" + file + ">, 0) = 0x7ffff7fbd000\n"
                + "1 mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fbb000\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"),
                "--touch", "--design", "speculative", "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("speculative: replayed=3 mismatches=0"), r.out());
        assertTrue(r.out().contains("pages faulted from 4 CPUs"), r.out());
    }

    @Test
    void mapsAreComparedWithTheLastProgramTheFirstProcessRan(@TempDir Path dir) throws IOException {
        final Path t = dir.resolve("t.strace");
        Files.writeString(t, "1 execve(\"/a\", [\"a\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fbe000\n"
                + "1 execve(\"/b\", [\"b\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 brk(NULL) = 0x555555570000\n"
                + "1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fbf000\n"
                + "1 mprotect(0x555555554000, 4096, PROT_READ) = 0\n"
                + "1 exit_group(0) = ?\n");
        final Path maps = dir.resolve("final.maps");
        Files.writeString(maps, "555555554000-555555556000 r--p 00000000 00:00 0    /b\n"
                + "7ffff7fbf000-7ffff7fc0000 r--p 00000000 00:00 0 \n"
                + "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0    [stack]\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString(), "--initial-maps", res("errnos/initial.maps"),
                "--maps", maps.toString(), "-v");
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(6, s[0], r.out());
            assertEquals(1, s[3], r.out()); // /b's own relro: its memory came from an execve without maps
        }
        assertTrue(r.out().contains("lie in memory outside the trace (not compared)"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"replay", "replay NOFILE", "replay TRACE --design fast", "replay TRACE --arch sparc",
            "replay TRACE --arch x86-la57", "replay TRACE --initial-maps NOFILE", "replay TRACE --maps TRACE",
            "replay TRACE --cpus 0", "replay TRACE --bogus", "replay TRACE TRACE"})
    void badArgumentsGiveOneLineAndExitCode2(String line, @TempDir Path dir) {
        final String[] args = line.replace("NOFILE", dir.resolve("none").toString())
                .replace("TRACE", res("true.strace")).split(" ");
        final Result r = SpecfaultCliTest.run(args);
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("at dev.") || r.err().contains("Exception in"), "no stack trace: " + r.err());
    }

    // Found by mutation testing (2026-11-29, docs/mutation-testing.md, third round): each of the
    // following fails on a one-line change of main code the rest of the default run let through.

    /**
     * No --initial-maps: after execve everything is unknown. An unaligned munmap or mprotect fails
     * with EINVAL before any mapping is looked at, so it is compared, not counted outside.
     */
    @ParameterizedTest
    @ValueSource(strings = {"munmap(0x7ffff7fbb001, 4096)", "mprotect(0x7ffff7fbb001, 4096, PROT_READ)"})
    void anEinvalCallOverUnknownMemoryIsStillCompared(String call, @TempDir Path dir) throws IOException {
        final Path t = dir.resolve("t.strace");
        Files.writeString(t, "1 execve(\"/x\", [\"x\"], 0x7fffffffe7c0 /* 0 vars */) = 0\n"
                + "1 " + call + " = -1 EINVAL (Invalid argument)\n");
        final Result r = SpecfaultCliTest.run("replay", t.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        for (long[] s : summaries(r)) {
            assertEquals(2, s[0], r.out()); // replayed: execve and the call
            assertEquals(0, s[1], r.out());
            assertEquals(0, s[3], r.out()); // outside
        }
    }
}
