package dev.specfault.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.stress.run.Cell;
import dev.specfault.stress.run.CellResult;
import dev.specfault.stress.run.CellSpec;
import dev.specfault.stress.run.SeededBug;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two bugs that remove a second line of defence run in stress with a companion (the first
 * line's failure), and the companion alone is not clean either: a differential proof attributes
 * the pair's catch to the missing check. On the same workload, duration and seeds, each run goes
 * on past the violations it expects and stops only at the signature ({@link Cell#run(CellSpec,
 * Cell.Progress, Predicate)}):
 * <ul>
 *   <li>{@code skip-incarnation-check} + {@code record-free-no-grace}: the companion alone should
 *   yield only the incarnation check's own report (the reuse detected, the fault retried) and never
 *   a wrong result; the pair a wrong result (P1, P2, P4, P5 or P8) and never that report. Disabled:
 *   see the method.</li>
 *   <li>{@code skip-table-linked-check} + {@code skip-mark-dead}: the companion alone yields wrong
 *   results (stray installs into tables that stay linked) and never P6; the pair yields a table page
 *   freed with an entry in it (an install into the unlinked table, whose page then leaks).</li>
 * </ul>
 * Both arms of a proof use the bug's {@code --inject} settings (docs/stress.md), the same duration
 * and the same seed; three seeds each. The pair runs first: in runs where the companion ran first
 * in the same JVM, the pair went 10 s without the signature in three of six, where a fresh JVM (the
 * command line) always found it within 2.4 s; with the pair first, three of three.
 */
@Tag("long")
class CompanionAttributionTest {
    /** What the incarnation check reports when it catches a reused record (SpeculativeSpace.validate). */
    static final String INCARNATION_REPORT = "P3: use after free of a VMA record: seen at incarnation ";
    /** What pmap reports when it frees a table page that still holds entries. */
    static final String FREED_WITH_ENTRIES = "P6: page-table page freed with ";
    static final Predicate<String> WRONG_RESULT = v -> List.of("P1", "P2", "P4", "P5", "P8").stream()
            .anyMatch(p -> v.startsWith(p + ":"));

    /** {@code bug}'s --inject cell with {@code seed}; {@code withBug} false: its companions alone. */
    static CellSpec cell(SeededBug bug, boolean withBug, long seed, Duration d) {
        return new CellSpec(bug.defaultDesign(), bug.arch(), bug.defaultWorkload(), bug.threads(), bug.writers(), d,
                bug.regionMiB(), seed, withBug ? bug : null, bug.companions(), bug.vmaQuarantine());
    }

    static String show(CellResult r) {
        return r.spec().label() + " seed " + r.spec().seed() + ", " + r.row().get("seconds") + " s, pages " + r.row().get("pages") + ", "
                + r.row().get("violations") + " violations, use_after_free " + r.row().get("use_after_free") + ":\n  "
                + String.join("\n  ", r.violations());
    }

    /**
     * Disabled: the companion alone is not only defended. In one run of nine (seed 3, 10 s) it gave a
     * P1 after 50 incarnation reports: a fault whose record was freed and reused <em>before</em> it
     * read the incarnation validates the new incarnation; the fault checks only {@code start > va},
     * not {@code va < end}, so a record reused for an area below {@code va} is trusted and the fault
     * installs into the unmapped slot. Linux's {@code lock_vma_under_rcu} re-checks the range after
     * the VMA is stable for this reason. The pair also went 20 s without a wrong result once in the
     * test JVM (the command line: 1.4-11.8 s over six seeds). See docs/stress.md.
     */
    @org.junit.jupiter.api.Disabled("record-free-no-grace alone can give P1: reuse before the incarnation is read (docs/stress.md)")
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void skipIncarnationCheckAloneTurnsADefendedReuseIntoAWrongResult(long seed) throws InterruptedException {
        final SeededBug bug = SeededBug.byName("skip-incarnation-check").orElseThrow();
        assertEquals(List.of("record-free-no-grace"), bug.also());
        final Duration d = bug.duration();
        final CellResult pair = Cell.run(cell(bug, true, seed, d), null, WRONG_RESULT);
        final CellResult alone = Cell.run(cell(bug, false, seed, d), null, WRONG_RESULT);
        assertTrue(pair.violations().stream().anyMatch(WRONG_RESULT), "the pair: a wrong result: " + show(pair));
        assertTrue(pair.violations().stream().noneMatch(v -> v.startsWith(INCARNATION_REPORT)), show(pair));
        assertFalse(alone.violations().isEmpty(), "the companion alone reuses a record under a fault: " + show(alone));
        assertTrue(alone.violations().stream().allMatch(v -> v.startsWith(INCARNATION_REPORT)),
                "the companion alone: only the incarnation check's report, nothing wrong: " + show(alone));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void skipTableLinkedCheckAloneFreesATableWithAnEntryInIt(long seed) throws InterruptedException {
        final SeededBug bug = SeededBug.byName("skip-table-linked-check").orElseThrow();
        assertEquals(List.of("skip-mark-dead"), bug.also());
        final Duration d = Duration.ofSeconds(10); // twice its --inject duration: 0.3-2.4 s seen, once none in 5 s
        final Predicate<String> signature = v -> v.startsWith(FREED_WITH_ENTRIES);
        final CellResult pair = Cell.run(cell(bug, true, seed, d), null, signature);
        final CellResult alone = Cell.run(cell(bug, false, seed, d), null, signature);
        assertTrue(pair.violations().stream().anyMatch(signature), "the pair: a table freed with an entry: " + show(pair));
        assertTrue(alone.violations().stream().anyMatch(WRONG_RESULT),
                "the companion alone installs under replaced records: " + show(alone));
        assertTrue(alone.violations().stream().noneMatch(v -> v.startsWith("P6")),
                "the companion alone never frees a table with an entry in it, nor leaks: " + show(alone));
    }
}
