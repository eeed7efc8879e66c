package dev.specfault.stress.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.PageTableCheck;
import dev.specfault.srcu.pool.UseAfterFreeLog;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Cell's turning of the machine's logs into VIOLATION lines ({@code Cell.Violations.poll}), raced
 * with a report. Both logs counted a report (an atomic increment) before they recorded its text (in
 * a synchronized block); a poll in between saw the count and no text, and the report never became a
 * line (found in review, 2026-11-30). The interleaving is made deterministic by holding the log's
 * monitor on the polling thread while the reporter waits at it; poll is reentrant on this thread.
 */
class CellViolationsPollTest {
    private static Object violations() throws ReflectiveOperationException {
        final Class<?> c = Class.forName("dev.specfault.stress.run.Cell$Violations");
        final Constructor<?> k = c.getDeclaredConstructor(Predicate.class);
        k.setAccessible(true);
        return k.newInstance((Predicate<String>) v -> true);
    }

    private static void poll(Object violations, Machine m) throws Throwable {
        final Method p = violations.getClass().getDeclaredMethod("poll", Machine.class);
        p.setAccessible(true);
        try {
            p.invoke(violations, m);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> lines(Object violations) throws ReflectiveOperationException {
        final Method l = violations.getClass().getDeclaredMethod("lines");
        l.setAccessible(true);
        return (List<String>) l.invoke(violations);
    }

    private static void awaitBlocked(Thread t) {
        while (t.getState() != Thread.State.BLOCKED) {
            Thread.onSpinWait();
        }
    }

    /** A single use-after-free report polled between its count and its text never becomes a line. */
    @Test
    void aUseAfterFreeReportPolledBetweenItsCountAndItsTextIsStillALine() throws Throwable {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(1024).cpus(1).build();
        final Object v = violations();
        final UseAfterFreeLog log = m.useAfterFree();
        final String report = "use after free of a VMA record: seen at incarnation 1, now 2";
        final Thread reporter = new Thread(() -> log.report(report));
        synchronized (log) {
            reporter.start();
            awaitBlocked(reporter); // at the log's monitor
            poll(v, m); // a faulting thread's poll after its round
        }
        reporter.join();
        poll(v, m); // every later poll: the next rounds', and the one after the run
        assertEquals(1, m.useAfterFree().count());
        assertEquals(List.of("P3: " + report), lines(v), "the row says use_after_free=1; the run must not exit 0");
    }

    /** The same for the page-table check: the first report polled before its text throws, and is lost. */
    @Test
    void aFreedTableWithEntriesPolledBetweenItsCountAndItsTextIsStillALine() throws Throwable {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(1024).cpus(1).build();
        final Object v = violations();
        final PageTableCheck check = m.pageTableCheck();
        final Method report = PageTableCheck.class.getDeclaredMethod("report", String.class);
        report.setAccessible(true);
        final String what = "page-table page freed with 1 entries in it (1 mapping frames, which leak)";
        final Thread reporter = new Thread(() -> {
            try {
                report.invoke(check, what);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        });
        Throwable thrown = null;
        synchronized (check) {
            reporter.start();
            awaitBlocked(reporter);
            try {
                poll(v, m);
            } catch (RuntimeException e) {
                thrown = e; // in a faulting thread: it ended the thread's rounds with no line
            }
        }
        reporter.join();
        poll(v, m);
        assertEquals(null, thrown, "poll threw");
        assertEquals(List.of("P6: " + what), lines(v));
    }
}
