package dev.specfault.fault.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The file harness's sequential answers against this machine's kernel (6.18): the sequences of
 * {@code file-model/sequences.txt} (30 hand-picked cases, then random ones in the harness's
 * parameter ranges) and what {@code docs/linux/file-model.c} printed for them on the kernel. The
 * model ({@link FileSpaceModel}) must give the kernel's answer to every operation, and so must every
 * design through the harness ({@link FileLinearizability}, run by one thread, a machine per
 * sequence), with the quiet-state checks after each sequence. Lincheck then compares the designs with the model under concurrency.
 */
class FileModelKernelTest {
    /**
     * Sequences each design runs (a machine each): the hand-picked ones and the first random ones.
     * All 1,000 took 1-3 s per design and architecture; the model runs all of them.
     */
    private static final int DESIGN_SEQUENCES = 400;

    private static List<String> resource(String name) throws IOException {
        try (InputStream in = FileModelKernelTest.class.getResourceAsStream("/file-model/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** What one operation of {@code line} ('S page pages prot pgoff', 'L page', ...) returns from {@code on}. */
    interface Ops {
        long mmapShared(int page, int pages, int prot, int pgoff);

        long mmapPrivate(int page, int pages, int prot, int pgoff);

        long munmap(int page, int pages);

        long mprotect(int page, int pages, int prot);

        long madvise(int page, int pages);

        long load(int page);

        long store(int page, long v);

        long pread(int pgoff);

        long pwrite(int pgoff, long v);
    }

    private static String run(String line, Ops on) {
        final List<String> out = new ArrayList<>();
        for (String op : line.split(";")) {
            final String[] f = op.strip().split(" ");
            final int[] a = new int[4];
            for (int i = 1; i < f.length; i++) {
                a[i - 1] = Integer.parseInt(f[i]);
            }
            final long r;
            switch (f[0]) {
                case "S": r = on.mmapShared(a[0], a[1], a[2], a[3]); break;
                case "P": r = on.mmapPrivate(a[0], a[1], a[2], a[3]); break;
                case "U": r = on.munmap(a[0], a[1]); break;
                case "M": r = on.mprotect(a[0], a[1], a[2]); break;
                case "D": r = on.madvise(a[0], a[1]); break;
                case "L": r = on.load(a[0]); break;
                case "W": r = on.store(a[0], a[1]); break;
                case "R": r = on.pread(a[0]); break;
                case "F": r = on.pwrite(a[0], a[1]); break;
                default: throw new IllegalArgumentException("operation " + op);
            }
            out.add(Long.toString(r));
        }
        return String.join(" ", out);
    }

    private static Ops of(FileSpaceModel m) {
        return new Ops() {
            public long mmapShared(int page, int pages, int prot, int pgoff) { return m.mmapShared(page, pages, prot, pgoff); }
            public long mmapPrivate(int page, int pages, int prot, int pgoff) { return m.mmapPrivate(page, pages, prot, pgoff); }
            public long munmap(int page, int pages) { return m.munmap(page, pages); }
            public long mprotect(int page, int pages, int prot) { return m.mprotect(page, pages, prot); }
            public long madvise(int page, int pages) { return m.madvise(page, pages); }
            public long load(int page) { return m.load(page); }
            public long store(int page, long v) { return m.store(page, v); }
            public long pread(int pgoff) { return m.pread(pgoff); }
            public long pwrite(int pgoff, long v) { return m.pwrite(pgoff, v); }
        };
    }

    private static Ops of(FileLinearizability h) {
        return new Ops() {
            public long mmapShared(int page, int pages, int prot, int pgoff) { return h.mmapShared(page, pages, prot, pgoff); }
            public long mmapPrivate(int page, int pages, int prot, int pgoff) { return h.mmapPrivate(page, pages, prot, pgoff); }
            public long munmap(int page, int pages) { return h.munmap(page, pages); }
            public long mprotect(int page, int pages, int prot) { return h.mprotect(page, pages, prot); }
            public long madvise(int page, int pages) { return h.madvise(page, pages); }
            public long load(int page) { return h.load(page); }
            public long store(int page, long v) { return h.store(page, v); }
            public long pread(int pgoff) { return h.pread(pgoff); }
            public long pwrite(int pgoff, long v) { return h.pwrite(pgoff, v); }
        };
    }

    @Test
    void theModelGivesTheKernelsAnswers() throws IOException {
        final List<String> in = resource("sequences.txt");
        final List<String> kernel = resource("sequences.kernel.out");
        assertEquals(in.size(), kernel.size());
        for (int i = 0; i < in.size(); i++) {
            assertEquals(kernel.get(i), run(in.get(i), of(new FileSpaceModel())), "line " + (i + 1) + ": " + in.get(i));
        }
    }

    static Stream<Arguments> configs() {
        return Stream.of(Design.values()).flatMap(d -> Stream.of(Arch.X86_64, Arch.ARM64).map(a -> Arguments.of(d, a)));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void everyDesignGivesTheKernelsAnswers(Design d, Arch arch) throws IOException {
        assertEquals(List.of(), divergences(CheckConfig.of(d, arch), DESIGN_SEQUENCES));
    }

    /** The comparison can fail: with private-write-to-page-cache, a private store shows in the file. */
    @ParameterizedTest
    @MethodSource("configs")
    void aSeededBugGivesOtherAnswers(Design d, Arch arch) throws IOException {
        final List<String> wrong = divergences(CheckConfig.of(d, arch).with(dev.specfault.fault.FaultBug.PRIVATE_WRITE_TO_PAGE_CACHE), 100);
        assertTrue(wrong.size() >= 3, wrong.size() + " divergences: " + wrong);
    }

    /** The sequences whose answers (or quiet-state checks) on {@code c}, through the harness, are not the kernel's. */
    private static List<String> divergences(CheckConfig c, int sequences) throws IOException {
        final List<String> in = resource("sequences.txt");
        final List<String> kernel = resource("sequences.kernel.out");
        final List<String> wrong = new ArrayList<>();
        synchronized (LinearizabilityCheck.class) {
            WindowHarness.configure(c, 1);
            for (int i = 0; i < Math.min(sequences, in.size()); i++) {
                final FileLinearizability h = new FileLinearizability(); // a machine and a space each
                final String got = run(in.get(i), of(h));
                String quiet = "";
                try {
                    h.validate();
                } catch (IllegalStateException e) {
                    quiet = " " + e.getMessage();
                }
                if (!got.equals(kernel.get(i)) || !quiet.isEmpty()) {
                    wrong.add("line " + (i + 1) + " " + in.get(i) + ": " + got + ", kernel " + kernel.get(i) + quiet);
                }
            }
        }
        return wrong;
    }
}
