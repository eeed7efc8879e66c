package dev.specfault.fault.check;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;

import dev.specfault.pmap.Cpu;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;

/**
 * Runs a P8 harness ({@link SpaceLinearizability}, {@link LazyFreeLinearizability},
 * {@link SealLinearizability} or {@link FileLinearizability}, each against its sequential model) for one configuration, in model checking or
 * stress mode, with a budget. Shared by the tests and {@code ./specfault check}. One check at a
 * time per JVM (the configuration is handed to Lincheck's instances through a static field).
 *
 * <pre>
 * Locks used to protect members:
 *   [a] volatile
 * </pre>
 */
public final class LinearizabilityCheck {
    private LinearizabilityCheck() {
    }

    /** A Lincheck budget: iterations × invocations per iteration, parallel threads, actors per thread. */
    public record Budget(int iterations, int invocations, int threads, int actors, boolean minimize) {
        public Budget {
            if (iterations < 1 || invocations < 1 || threads < 1 || actors < 1) {
                throw new IllegalArgumentException("budget: every count must be positive");
            }
        }

        /** Two threads (the harness's default). */
        public Budget(int iterations, int invocations, int actors, boolean minimize) {
            this(iterations, invocations, 2, actors, minimize);
        }

        /**
         * The default run's budget for this harness: an invocation builds a whole machine and space
         * and costs ~30–100 ms under the model checker on 2 cores (50–100x the uninstrumented cost),
         * so {@code iterations × invocations} is small here; the long profile
         * ({@code specfault.lincheck.long}) runs the project's large budget.
         */
        public static Budget defaults(int iterations, int invocations) {
            final boolean longRun = Boolean.getBoolean("specfault.lincheck.long");
            // Not the project's 100 x 5,000: at 30-100 ms an invocation that would take hours.
            return longRun
                    ? new Budget(Integer.getInteger("specfault.fault.lincheck.mc.iterations", 10),
                            Integer.getInteger("specfault.fault.lincheck.mc.invocations", 500), 3, true)
                    : new Budget(iterations, invocations, 3, true);
        }

        /** The stress-mode budget (real threads): small by default, the project's large one in the long profile. */
        public static Budget stressDefaults(int iterations, int invocations) {
            final boolean longRun = Boolean.getBoolean("specfault.lincheck.long");
            return longRun
                    ? new Budget(Integer.getInteger("specfault.fault.lincheck.stress.iterations", 10),
                            Integer.getInteger("specfault.fault.lincheck.stress.invocations", 2000), 3, true)
                    : new Budget(iterations, invocations, 3, true);
        }

        public Budget withoutMinimizing() {
            return new Budget(iterations, invocations, threads, actors, false);
        }
    }

    /**
     * Code treated as atomic by the model checker (one switch point per call): physical memory (one
     * 8-byte access, or one page zeroed, copied or poisoned, is one event — what the hardware gives;
     * Lincheck would otherwise take a 512-word loop for a livelock), JCTools, Agrona, and JDK
     * collections used only under specfault's own locks or thread-confined.
     */
    private static Boolean trusted(String className) {
        return className.equals("dev.specfault.pmap.phys.PhysicalMemory")
                || className.equals("dev.specfault.pmap.WalkCache")
                || className.startsWith("org.jctools.")
                || className.startsWith("org.agrona.")
                || className.equals("java.util.ArrayList")
                || className.equals("java.util.ArrayDeque")
                || className.equals("java.util.Arrays")
                || className.equals("java.util.HashMap")
                || className.equals("java.util.HashSet")
                || className.equals("java.util.TreeMap")
                || className.equals("java.util.EnumMap")
                || className.equals("java.util.EnumSet")
                || className.equals("java.util.RegularEnumSet")
                || className.startsWith("java.util.ImmutableCollections")
                || className.startsWith("java.util.concurrent.atomic.LongAdder")
                || className.startsWith("java.util.concurrent.atomic.Striped64")
                || className.startsWith("java.lang.ThreadLocal");
    }

    /** Model checking of {@code c}; throws Lincheck's {@code LincheckAssertionError} on a violation. */
    public static void modelCheck(CheckConfig c, Budget b) {
        modelCheck(c, b, SpaceLinearizability.class);
    }

    /**
     * Model checking of {@code c} with the operations of {@code harness} ({@link SpaceLinearizability},
     * {@link LazyFreeLinearizability}, {@link SealLinearizability} or {@link FileLinearizability}).
     */
    public static void modelCheck(CheckConfig c, Budget b, Class<? extends WindowHarness> harness) {
        synchronized (LinearizabilityCheck.class) {
            WindowHarness.configure(c, b.threads());
            loadClassesOf(harness);
            new ModelCheckingOptions()
                    .iterations(b.iterations())
                    .invocationsPerIteration(b.invocations())
                    .threads(b.threads())
                    .actorsPerThread(b.actors())
                    .actorsBefore(2)
                    .actorsAfter(1)
                    .minimizeFailedScenario(b.minimize())
                    .addGuarantee(forClasses(LinearizabilityCheck::trusted).allMethods().treatAsAtomic())
                    .sequentialSpecification(modelOf(harness))
                    .check(harness);
        }
    }

    /** Stress mode (real threads) of {@code c}; throws Lincheck's {@code LincheckAssertionError} on a violation. */
    public static void stress(CheckConfig c, Budget b) {
        stress(c, b, SpaceLinearizability.class);
    }

    /** Stress mode (real threads) of {@code c} with the operations of {@code harness}. */
    public static void stress(CheckConfig c, Budget b, Class<? extends WindowHarness> harness) {
        synchronized (LinearizabilityCheck.class) {
            WindowHarness.configure(c, b.threads());
            loadClassesOf(harness);
            new StressOptions()
                    .iterations(b.iterations())
                    .invocationsPerIteration(b.invocations())
                    .threads(b.threads())
                    .actorsPerThread(b.actors())
                    .actorsBefore(2)
                    .actorsAfter(1)
                    .minimizeFailedScenario(b.minimize())
                    .sequentialSpecification(modelOf(harness))
                    .check(harness);
        }
    }

    /**
     * Loads, before Lincheck starts, the classes its threads would otherwise load for the first time
     * inside the model checker: every class of specfault's own modules, then the rest of what the
     * operations' paths use, by running each operation of {@code harness} with every value of its
     * parameters' ranges on a throw-away instance, and its quiet-state checks. A class first loaded
     * inside a model-checked thread can fail to load there (Lincheck 3.x transforms the class
     * loaders: once a {@code ClassNotFoundException} of {@code Errno} in a mremap's EINVAL path,
     * reported as "Non-determinism found ... You've caught a bug in Lincheck", 2026-11-30). Results,
     * thrown exceptions and violations are ignored: the check runs the operations again and compares
     * them with the model. Returns the throw-away instance (exited, its CPU unbound), for tests.
     */
    static WindowHarness loadClassesOf(Class<? extends WindowHarness> harness) {
        loadSpecfaultClasses();
        final WindowHarness h;
        try {
            h = harness.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("harness " + harness.getName(), e);
        }
        final Map<String, int[]> ranges = new HashMap<>();
        for (Class<?> k = harness; k != null; k = k.getSuperclass()) { // a subclass's ranges win
            for (Param p : k.getAnnotationsByType(Param.class)) {
                final String[] c = p.conf().split(":");
                ranges.putIfAbsent(p.name(), new int[] {Integer.parseInt(c[0].strip()), Integer.parseInt(c[1].strip())});
            }
        }
        try {
            for (Method m : harness.getMethods()) {
                if (m.isAnnotationPresent(Operation.class)) {
                    invokeAll(h, m, ranges, new Object[m.getParameterCount()], 0);
                }
            }
            try {
                h.validate();
            } catch (IllegalStateException violation) {
                // the check validates again
            }
        } finally {
            h.space.exit();
            final Cpu c = h.cpu.get();
            if (c.isBoundToCurrentThread()) {
                c.unbind();
            }
            h.cpu.remove();
        }
        return h;
    }

    private static void invokeAll(Object h, Method m, Map<String, int[]> ranges, Object[] args, int i) {
        if (i == args.length) {
            try {
                m.invoke(h, args);
            } catch (InvocationTargetException thrownByTheOperation) {
                // the check runs the operation again and reports what it throws
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(m.getName() + " of " + h.getClass().getSimpleName(), e);
            }
            return;
        }
        final Param p = m.getParameters()[i].getAnnotation(Param.class);
        final int[] r = p == null ? null : ranges.get(p.name());
        final int lo = r == null ? 0 : r[0];
        final int hi = r == null ? 0 : r[1];
        for (int v = lo; v <= hi; v++) {
            args[i] = m.getParameterTypes()[i] == long.class ? (Object) (long) v : (Object) v;
            invokeAll(h, m, ranges, args, i + 1);
        }
    }

    /** Whether {@link #loadSpecfaultClasses} has run in this JVM. */
    private static volatile boolean specfaultClassesLoaded; // [a]

    /**
     * Loads (without initializing) every class of the srcu, pmap, vma and fault modules, from their
     * directories or from the jar that holds them (the command line's).
     */
    private static void loadSpecfaultClasses() {
        if (specfaultClassesLoaded) {
            return;
        }
        final ClassLoader loader = LinearizabilityCheck.class.getClassLoader();
        final Set<Path> seen = new HashSet<>();
        for (Class<?> anchor : List.of(dev.specfault.srcu.SrcuDomain.class, dev.specfault.pmap.Machine.class,
                dev.specfault.vma.Area.class, dev.specfault.fault.AddressSpace.class)) {
            try {
                final Path where = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (!seen.add(where)) {
                    continue;
                }
                final List<String> names = new ArrayList<>();
                if (Files.isDirectory(where)) {
                    try (Stream<Path> files = Files.walk(where)) {
                        files.map(f -> where.relativize(f).toString().replace(java.io.File.separatorChar, '/'))
                                .forEach(names::add);
                    }
                } else {
                    try (JarFile jar = new JarFile(where.toFile())) {
                        jar.stream().map(JarEntry::getName).forEach(names::add);
                    }
                }
                for (String n : names) {
                    if (n.startsWith("dev/specfault/") && n.endsWith(".class") && !n.endsWith("module-info.class")) {
                        Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, loader);
                    }
                }
            } catch (IOException | URISyntaxException | ClassNotFoundException | LinkageError | SecurityException e) {
                throw new IllegalStateException("loading specfault's classes from " + anchor.getName(), e);
            }
        }
        specfaultClassesLoaded = true;
    }

    /** The sequential model of a harness: {@link FileSpaceModel} for files, {@link SpaceModel} otherwise. */
    static Class<?> modelOf(Class<? extends WindowHarness> harness) {
        return FileLinearizability.class.isAssignableFrom(harness) ? FileSpaceModel.class : SpaceModel.class;
    }
}
