package dev.specfault.srcu.testing;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;

/**
 * Lincheck budgets from system properties: BUILD.md's verified small budgets by default (5–13 s a
 * check on 2 cores), larger ones in the {@code long} Maven profile. Shared by every module's tests.
 */
public final class LincheckBudget {
    private LincheckBudget() {
    }

    /** The long profile ({@code -Plong}). */
    public static final boolean LONG = Boolean.getBoolean("specfault.lincheck.long");

    private static int prop(String name, int dflt) {
        return Integer.getInteger("specfault.lincheck." + name, dflt);
    }

    /**
     * Model checking: iterations × invocations, 2 threads, {@code actors} operations each.
     *
     * <p>Trusted library code is treated as atomic (one switch point per call, not one per inner
     * memory access): JCTools' queues and padded counters, and the JDK's plain collections, which
     * specfault only uses under its own locks. What is checked is specfault's protocol, not
     * JCTools; the cost of exploring their insides was most of each invocation.
     */
    public static ModelCheckingOptions modelChecking() {
        return modelChecking(20);
    }

    /**
     * Model checking with a check-specific default number of iterations, for checks whose
     * invocations cost more than BUILD.md's toy (a real domain, a walker): the {@code long} profile
     * sets {@code specfault.lincheck.mc.iterations} and then overrides every default.
     */
    public static ModelCheckingOptions modelChecking(int defaultIterations) {
        return modelChecking(defaultIterations, prop("mc.iterations", 100));
    }

    /**
     * Model checking with check-specific iterations in both profiles, for checks whose invocations
     * cost milliseconds: there the long profile's 100 iterations of 5,000 invocations would take
     * about an hour a check (a real domain with its pool, 4 actors a thread: ~8 ms an invocation,
     * 40 s an iteration), and a module's checks together outlast its fork timeout. The long
     * profile's invocations per iteration and actors still apply.
     */
    public static ModelCheckingOptions modelChecking(int defaultIterations, int longIterations) {
        return new ModelCheckingOptions()
                .iterations(LONG ? longIterations : defaultIterations)
                .invocationsPerIteration(prop("mc.invocations", 1000))
                .threads(2)
                .actorsPerThread(prop("actors", 3))
                .addGuarantee(forClasses(LincheckBudget::trustedLibrary).allMethods().treatAsAtomic());
    }

    private static Boolean trustedLibrary(String className) {
        return className.startsWith("org.jctools.")
                || className.equals("java.util.ArrayList")
                || className.equals("java.util.ArrayDeque")
                || className.equals("java.util.Arrays")
                || className.equals("java.util.HashMap")
                || className.startsWith("java.lang.ThreadLocal");
    }

    /** Stress mode: real threads, 2 of them. */
    public static StressOptions stress() {
        return stress(prop("stress.iterations", 20));
    }

    /**
     * Stress mode with a check-specific number of iterations in the long profile, for checks whose
     * invocations cost more than a millisecond (the long profile's 100 iterations of 20,000 would
     * take about an hour there); the default run keeps its budget.
     */
    public static StressOptions stress(int longIterations) {
        return new StressOptions()
                .iterations(LONG ? longIterations : prop("stress.iterations", 20))
                .invocationsPerIteration(prop("stress.invocations", 5000))
                .threads(2)
                .actorsPerThread(prop("actors", 3));
    }

    /**
     * Model checking for proving a seeded bug is caught: the same budget, without minimizing the
     * failing scenario (the first interleaving found is the proof; minimizing only costs time).
     */
    public static ModelCheckingOptions modelCheckingForBug() {
        return modelChecking().minimizeFailedScenario(false);
    }
}
