package dev.specfault.stress.run;

import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JVM's own work so far, from its management beans: what a slow second of a run can be put
 * down to besides the design (a collection, a burst of compilation).
 */
public final class JvmTime {
    private JvmTime() {
    }

    /** Time the collectors have taken so far (ms, every collector summed; the JVM's accounting). */
    public static long gcMillis() {
        long t = 0;
        for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, g.getCollectionTime());
        }
        return t;
    }

    /** Total JIT compilation time so far (ms; the JVM's estimate), or -1 if the JVM does not tell. */
    public static long jitMillis() {
        final CompilationMXBean c = ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : -1;
    }
}
