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
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The file harness's sequential answers against this machine's kernel (6.18): the sequences of
 * {@code file-model/sequences.txt} (64 hand-picked cases, 18 of them of mremap and 16 of ftruncate, then random ones in
 * the harness's parameter ranges from {@code docs/linux/file-model-sequences.py}) and what {@code docs/linux/file-model.c} printed for them on the kernel. The
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

    /**
     * The answers of {@code line}'s operations ('S page pages prot pgoff', 'L page', ...: the C
     * program's notation) from {@code on}, a {@link FileSpaceModel} or a {@link FileLinearizability}:
     * both have the operations by the same names and parameters (Lincheck's rule for a model).
     */
    private static String run(String line, Object on) {
        final List<String> out = new ArrayList<>();
        for (String op : line.split(";")) {
            final String[] f = op.strip().split(" ");
            final String name = OPS.get(f[0]);
            if (name == null) {
                throw new IllegalArgumentException("operation " + op);
            }
            final Object[] args = new Object[f.length - 1];
            final Class<?>[] types = new Class<?>[f.length - 1];
            for (int i = 1; i < f.length; i++) {
                // the stored value (W, F) is the second argument and a long; the rest are ints
                final boolean value = i == 2 && (f[0].equals("W") || f[0].equals("F"));
                args[i - 1] = value ? (Object) Long.parseLong(f[i]) : (Object) Integer.parseInt(f[i]);
                types[i - 1] = value ? long.class : int.class;
            }
            try {
                out.add(String.valueOf(on.getClass().getMethod(name, types).invoke(on, args)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(op + " on " + on.getClass().getSimpleName(), e);
            }
        }
        return String.join(" ", out);
    }

    /** The C program's operation letters. */
    private static final Map<String, String> OPS = Map.ofEntries(Map.entry("S", "mmapShared"),
            Map.entry("P", "mmapPrivate"), Map.entry("U", "munmap"), Map.entry("M", "mprotect"),
            Map.entry("D", "madvise"), Map.entry("X", "mremap"), Map.entry("Y", "mremapDontUnmap"),
            Map.entry("L", "load"), Map.entry("W", "store"), Map.entry("R", "pread"),
            Map.entry("F", "pwrite"), Map.entry("T", "truncate"));

    @Test
    void theModelGivesTheKernelsAnswers() throws IOException {
        final List<String> in = resource("sequences.txt");
        final List<String> kernel = resource("sequences.kernel.out");
        assertEquals(in.size(), kernel.size());
        for (int i = 0; i < in.size(); i++) {
            assertEquals(kernel.get(i), run(in.get(i), new FileSpaceModel()), "line " + (i + 1) + ": " + in.get(i));
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
                final String got = run(in.get(i), h);
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
