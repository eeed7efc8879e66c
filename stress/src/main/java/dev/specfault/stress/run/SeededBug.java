package dev.specfault.stress.run;

import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.PmapBug;
import dev.specfault.srcu.SrcuBug;
import dev.specfault.stress.workload.Workload;
import dev.specfault.vma.VmaBug;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A seeded bug of any layer as the command line names it: the design it breaks, the workload and
 * settings that hit it reliably ({@code stress --inject BUG} with nothing else given runs them),
 * a one-line description, and the enum constant that turns it on.
 *
 * <p>Some bugs remove a check that only a second bug makes necessary (the incarnation check and
 * the table-linked check are the second line of defence behind VMA reclamation and dead marks):
 * they carry that companion in {@code also} and the VMA quarantine that lets a freed record come
 * back at once, so that {@code --inject} turns both on. The companion alone is caught by the check
 * under test's neighbours (or not at all), the pair is a violation.
 *
 * @param name          lower-case, words joined by {@code -}
 * @param design        the design it breaks, and the one {@code --inject} runs
 * @param workload      the workload {@code stress --inject} runs by default
 * @param description   one line
 * @param value         a {@link SrcuBug}, {@link PmapBug}, {@link VmaBug} or {@link FaultBug}
 * @param arch          the default architecture
 * @param threads       faulting threads by default
 * @param writers       writer threads by default
 * @param duration      the default duration: long enough to hit it reliably
 * @param regionMiB     each faulting thread's region by default
 * @param also          companion bugs turned on with it (names)
 * @param vmaQuarantine the VMA quarantine with it, or -1 for the space's default
 */
public record SeededBug(String name, String design, String workload, String description, Enum<?> value, Arch arch,
                        int threads, int writers, Duration duration, int regionMiB, List<String> also,
                        int vmaQuarantine) {

    public SeededBug {
        also = List.copyOf(also);
    }

    /** Where and how a bug is hit: the defaults of its {@code --inject} run. */
    private record Hit(String design, Workload workload, Arch arch, int threads, int writers, int seconds,
                       int regionMiB, List<String> also, int vmaQuarantine) {
        static Hit of(String design, Workload w, Arch arch, int threads, int writers, int seconds, int regionMiB) {
            return new Hit(design, w, arch, threads, writers, seconds, regionMiB, List.of(), -1);
        }

        Hit with(String companion) {
            return new Hit(design, workload, arch, threads, writers, seconds, regionMiB, List.of(companion), 0);
        }

        /** A VMA quarantine of {@code n}: 0 lets a freed record come back at once. */
        Hit quarantine(int n) {
            return new Hit(design, workload, arch, threads, writers, seconds, regionMiB, also, n);
        }
    }

    private static final String SPEC = "speculative";
    private static final String LOCKED = "locked";

    /** The settings that hit {@code b} reliably (DESIGN.md's seeded bugs; docs/stress.md has the table). */
    private static Hit hit(Enum<?> b) {
        final Arch x86 = Arch.X86_64;
        // Durations: 5 s where every observed catch came within 3 s (docs/stress.md), else 10 s
        // (20 s for skip-incarnation-check with its narrow companion).
        switch (b.name()) {
            // srcu: a VMA record or tree node freed under a speculative lookup (the readers)
            case "GRACE_PERIOD_NO_WAIT":
            case "READ_SIDE_NO_FENCE":
                // 10 s: grace-period-no-wait was missed once in 5 s on a slow host (2026-11-29).
                return Hit.of(SPEC, Workload.MMAP_CHURN, x86, 2, 2, 10, 1);
            case "CALLBACK_EARLY":
            case "DEFERRED_CALLBACK_EARLY":
                return Hit.of(SPEC, Workload.MMAP_CHURN, x86, 2, 2, 10, 1);
            case "UNLOCK_WRONG_INDEX":
                // a grace period never ends: the exit's SRCU barrier hangs (bounded: 5 s)
                return Hit.of(SPEC, Workload.MMAP_CHURN, x86, 2, 2, 2, 1);
            // pmap
            case "SKIP_SHOOTDOWN":
                return Hit.of(SPEC, Workload.MMAP_CHURN, x86, 2, 2, 5, 1);
            case "FLUSH_BEFORE_DETACH":
                // 1.0-2.7 s on 2026-11-28; 2.1-6.0 s on 2026-11-30's slower host: 15 s
                return Hit.of(SPEC, Workload.EXIT_RACE, x86, 2, 2, 15, 1);
            case "TAG_REUSE_NO_FLUSH":
                return Hit.of(SPEC, Workload.EXIT_RACE, x86, 2, 2, 5, 1);
            case "LAST_LEVEL_TLBI_FOR_FREED_TABLES":
                // arm64 only; each faulting thread's munmap of its 1 MiB frees its tables with a
                // ranged flush (16 MiB would flush by ASID, which empties the walk caches anyway)
                return Hit.of(SPEC, Workload.MMAP_CHURN, Arch.ARM64, 2, 2, 5, 1);
            case "LAZY_CPUS_SKIPPED_FOR_FREED_TABLES":
                // x86 only; exit_race's forker is lazy on its child, speculating, while another
                // writer unmaps the child's 2 MiB around the forker's region and waits out its
                // grace period before the exit
                return Hit.of(SPEC, Workload.EXIT_RACE, x86, 2, 2, 5, 1);
            case "ZAP_PLAIN_WRITE":
                // reclaim of MADV_FREE pages racing first stores: a window of nanoseconds, hit only
                // while a faulting thread and a reclaimer run at once (docs/stress.md): 30 s
                return Hit.of(SPEC, Workload.MADV_FREE, x86, 2, 2, 30, 1);
            case "TABLE_FREE_NO_GRACE":
                // a fault's walk of a table that munmap freed at once: the use-after-free detector;
                // 15 s: a loaded host took up to 8.6 s (docs/stress.md)
                return Hit.of(SPEC, Workload.UNMAP_RACE, x86, 2, 2, 15, 1);
            // vma
            case "PUBLISH_TWO_STORES":
                // the hole shows where a writer's mmap merges with a faulting thread's region
                return Hit.of(SPEC, Workload.MERGE_CHURN, x86, 2, 2, 5, 1);
            case "NODE_FREE_NO_GRACE":
                return Hit.of(SPEC, Workload.UNMAP_RACE, x86, 2, 2, 10, 1);
            case "RECORD_FREE_NO_GRACE":
                // a poisoned record reads as dead (the fault retries, unreported) until it is
                // reused: quarantine 0 reuses it at once, and the incarnation check reports it
                return Hit.of(SPEC, Workload.UNMAP_RACE, x86, 2, 2, 5, 1).quarantine(0);
            case "SKIP_MARK_DEAD":
                return Hit.of(SPEC, Workload.UNMAP_RACE, x86, 2, 2, 5, 1);
            // fault, speculative
            case "SKIP_DEAD_CHECK":
            case "ZAP_BEFORE_MARK_DEAD":
            case "PUBLISH_BEFORE_ZAP":
            case "SKIP_PTE_RECHECK":
                return Hit.of(SPEC, Workload.UNMAP_RACE, x86, 2, 2, 5, 1);
            case "SKIP_INCARNATION_CHECK":
                // record-free-no-grace, not node-free-no-grace: alone it yields only this check's
                // own report, so a wrong result is the missing check's (CompanionAttributionTest).
                // Slow to hit since the lookup re-checks the record's range (2.4-19.9 s in four of six
                // seeds, none in 20 s in two): 60 s.
                return Hit.of(SPEC, Workload.UNMAP_RACE, x86, 2, 2, 60, 1).with(VmaBug.RECORD_FREE_NO_GRACE.cliName());
            case "SKIP_TABLE_LINKED_CHECK":
                return Hit.of(SPEC, Workload.UNMAP_RACE, x86, 2, 2, 5, 1).with(VmaBug.SKIP_MARK_DEAD.cliName());
            case "FORK_WITHOUT_WRITE_SEQ":
                return Hit.of(SPEC, Workload.FORK_STORM, x86, 2, 1, 5, 1);
            case "FORK_SEQ_PER_AREA":
                // fork_storm's one-instant check: hit in 1.1-17.8 s (nine seeds, idle machine): 40 s
                return Hit.of(SPEC, Workload.FORK_STORM, x86, 2, 1, 40, 1);
            case "MPROTECT_SKIP_FLUSH":
                return Hit.of(SPEC, Workload.MPROTECT_CHURN, x86, 2, 1, 5, 1);
            case "PAGE_CACHE_UNCHECKED_INSERT":
                // two faulting threads store to every page of a new shared file each round
                return Hit.of(SPEC, Workload.FILE_RACE, x86, 2, 0, 5, 1);
            case "PRIVATE_WRITE_TO_PAGE_CACHE":
                // page_fault2 reads one page of its private file mapping before its store, every
                // round: the second round sees the first one's store in the file (deterministic)
                return Hit.of(SPEC, Workload.PAGE_FAULT2, x86, 1, 0, 5, 1);
            case "PAGE_CACHE_MISS_PAST_END":
                // a miss between a truncation's size write and its scan, a store before its zap,
                // seen when the file grows back: 4.9-20.2 s (ten seeds, beside a test run): 60 s
                return Hit.of(SPEC, Workload.TRUNCATE_RACE, x86, 2, 1, 60, 1);
            case "TRUNCATE_WITHOUT_WRITE_SEQ":
            case "TRUNCATE_SHARED_ONLY":
                // faults on a file that a writer truncates and grows back: 0.9-1.2 s (ten seeds, 2026-11-30)
                return Hit.of(SPEC, Workload.TRUNCATE_RACE, x86, 2, 1, 5, 1);
            // fault, locked
            case "RELOCK_WITHOUT_TIMESTAMP":
                // a truncation between a page-in's getPage and its relock: 1.2-1.7 s (five seeds)
                return Hit.of(LOCKED, Workload.TRUNCATE_RACE, x86, 2, 1, 5, 1);
            case "UPGRADE_WITHOUT_RESTART":
                // hit in 0.9-2.4 s (six seeds, idle machine); once not in 5 s while a build ran
                // beside it: 10 s
                return Hit.of(LOCKED, Workload.UNMAP_RACE, x86, 2, 2, 10, 1);
            case "AMAP_COPY_SHARED_LOCK":
                return Hit.of(LOCKED, Workload.UNMAP_RACE, x86, 2, 2, 10, 1);
            case "PURGE_FLUSH_BEFORE_DETACH":
                // 1.5-2.0 s on 2026-11-28; 0.6-16 s (after the JVM's start) on 2026-11-30: 30 s
                return Hit.of(LOCKED, Workload.EXIT_RACE, x86, 2, 2, 30, 1);
            case "GROW_UNLOCKED_STACK_SIZE":
                return Hit.of(LOCKED, Workload.STACK_GROWTH, x86, 2, 0, 10, 1);
            default:
                throw new IllegalStateException("no stress settings for the seeded bug " + b);
        }
    }

    private static SeededBug of(String name, String layer, String description, Enum<?> value) {
        final Hit h = hit(value);
        return new SeededBug(name, h.design(), h.workload().cliName(), layer + ": " + description, value, h.arch(),
                h.threads(), h.writers(), Duration.ofSeconds(h.seconds()), h.regionMiB(), h.also(), h.vmaQuarantine());
    }

    /** Every seeded bug of the project. */
    public static List<SeededBug> all() {
        final List<SeededBug> l = new ArrayList<>();
        for (SrcuBug b : SrcuBug.values()) {
            l.add(of(b.cliName(), "srcu", b.description(), b));
        }
        for (PmapBug b : PmapBug.values()) {
            l.add(of(b.cliName(), "pmap", b.description(), b));
        }
        for (VmaBug b : VmaBug.values()) {
            l.add(of(b.cliName(), "vma", b.description(), b));
        }
        for (FaultBug b : FaultBug.values()) {
            l.add(of(b.cliName(), "fault", b.description(), b));
        }
        return l;
    }

    /** The bug called {@code name}. */
    public static Optional<SeededBug> byName(String name) {
        return all().stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** The default design of its {@code --inject} run. */
    public Design defaultDesign() {
        return Design.valueOf(design.toUpperCase().replace('-', '_'));
    }

    /** The default workload of its {@code --inject} run. */
    public Workload defaultWorkload() {
        return Workload.byCliName(workload);
    }

    /** Its companions, resolved. */
    public List<SeededBug> companions() {
        return also.stream().map(n -> byName(n).orElseThrow()).toList();
    }

    /**
     * Whether turning it on in {@code d} means anything: the fault path's bugs belong to their
     * design (a locked bug also to its kernel-lock mode, which runs the same code under one lock);
     * the VMA tree's to the speculative design, the only one with a lock-free tree; the reclaimer's
     * and the machine's to every design.
     */
    public boolean appliesTo(Design d) {
        if (value instanceof FaultBug fb) {
            switch (fb.design()) {
                case SPEC:
                    return d == Design.SPECULATIVE;
                case LOCKED:
                    return d != Design.SPECULATIVE;
                default:
                    return true;
            }
        }
        if (value instanceof VmaBug) {
            return d == Design.SPECULATIVE;
        }
        return true;
    }

    /**
     * What the linearizability harnesses ({@code check}: one address space; mmap, munmap, mprotect,
     * madvise, mremap, load and store, with lazy freeing or with a file) would need to exercise this
     * bug, or null if one has it: the bugs whose workload forks, exits spaces or grows stacks. Under
     * {@code check} they ran "linearizable" and proved nothing.
     */
    public String beyondTheHarness() {
        switch (defaultWorkload()) {
            case EXIT_RACE:
                return "address spaces that exit";
            case FORK_STORM:
                return "fork";
            case STACK_GROWTH:
                return "stack growth";
            default:
                return null;
        }
    }

    /**
     * The linearizability harness that exercises this bug ({@code check --harness}): {@code lazy-free}
     * for the bugs of MADV_FREE's reclaim, {@code file} for those of file mappings, else {@code anon}.
     */
    public String harness() {
        switch (defaultWorkload()) {
            case MADV_FREE:
                return "lazy-free";
            case PAGE_FAULT2:
            case PAGE_FAULT3:
            case FILE_RACE:
            case TRUNCATE_RACE:
                return "file";
            default:
                return "anon";
        }
    }

    /**
     * Whether turning it on with {@code a} means anything: last-level-tlbi-for-freed-tables is an
     * arm64 bug (x86 has no last-level-only invalidation: INVLPG empties the walk caches), and
     * lazy-cpus-skipped-for-freed-tables an x86 one (arm64's TLBIs are broadcast: no CPU is
     * skipped); every other bug breaks both architectures.
     */
    public boolean appliesTo(Arch a) {
        if (value == PmapBug.LAST_LEVEL_TLBI_FOR_FREED_TABLES) {
            return a == Arch.ARM64;
        }
        if (value == PmapBug.LAZY_CPUS_SKIPPED_FOR_FREED_TABLES) {
            return a.isX86();
        }
        return true;
    }

    /** A one-line reason why it does not apply to {@code a} (see {@link #appliesTo(Arch)}). */
    public String notOn(Arch a) {
        if (value == PmapBug.LAZY_CPUS_SKIPPED_FOR_FREED_TABLES) {
            return name + " breaks only x86, not " + a.cliName() + " (arm64's TLBIs are broadcast to every CPU)";
        }
        return name + " breaks only arm64, not " + a.cliName() + " (x86's INVLPG empties the walk caches)";
    }
}
