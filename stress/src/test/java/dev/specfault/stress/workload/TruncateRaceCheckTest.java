package dev.specfault.stress.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * truncate_race's checks in isolation, one thread: the file (16 pages) is truncated to 4 pages
 * right after the thread's store to page 8 (from inside that store, as a writer racing it would),
 * and each way the space can go wrong must be the violation that names it. The seeded bugs whose
 * race this is (truncate-without-write-seq, relock-without-timestamp) need two threads: stress
 * catches them ({@code StressInjectTest}); here a space that lies about an access stands in.
 */
class TruncateRaceCheckTest extends BoundCpuTest {
    private static final long P = Mman.PAGE_SIZE;

    /**
     * @param how    none (a correct space), shared-only (the seeded bug truncate-shared-only, on the
     *               real space), past-end-ok (the truncation to 9 pages; stores past the end succeed once it is
     *               over), sigbus-inside (the store to page 2 says SIGBUS), lost (the load of page 2
     *               reads page 0's value)
     * @param round  even: a shared mapping; odd: a private one
     * @param expect the start of the one violation, or empty for none
     */
    @ParameterizedTest
    @CsvSource({"none, 0, ''", "none, 1, ''", "shared-only, 0, ''",
        "shared-only, 1, 'P4: a page at file offset 0x8000 of a private mapping, faulted in while the file was truncated, is still mapped'",
        "past-end-ok, 0, 'P4: a store at file offset 0x9000 through a shared mapping succeeded past the end of the file (0x9000'",
        "sigbus-inside, 1, 'P2: SIGBUS at file offset 0x2000 of a private mapping, inside the file'",
        "lost, 0, 'P4: read back 0x'"})
    void eachWayOfGoingWrongIsItsViolation(String how, long round, String expect) {
        final Machine machine = Machine.builder(Arch.X86_64).frameLimit(1024).cpus(1).build();
        cpu = machine.cpu(0);
        cpu.bind();
        final AddressSpace real = Spaces.create(new SpaceOptions(Design.SPECULATIVE, machine).name("t")
                .driver(GracePeriodDriver.inline())
                .bugs(how.equals("shared-only") ? Set.of(FaultBug.TRUNCATE_SHARED_ONLY) : Set.of()));
        final FileObject file = new FileObject("t", 16 * P, machine.frames(), Set.of());
        final List<String> violations = new ArrayList<>();
        final WorkloadContext[] ctx = new WorkloadContext[1];
        final long[] base = {0};
        final int[] loadsOf2 = {0};
        final AddressSpace space = (AddressSpace) Proxy.newProxyInstance(AddressSpace.class.getClassLoader(),
                new Class<?>[] {AddressSpace.class}, (proxy, m, args) -> {
                    final long page = args != null && args.length > 1 && args[1] instanceof Long va ? (va - base[0]) / P : -1;
                    if (m.getName().equals("store") && page == 2 && how.equals("sigbus-inside")) {
                        return AccessResult.SIGBUS;
                    }
                    if (m.getName().equals("store") && page >= 9 && how.equals("past-end-ok")) {
                        return AccessResult.OK;
                    }
                    if (m.getName().equals("load") && page == 2 && how.equals("lost") && loadsOf2[0]++ == 1) {
                        // the read-back after the store (the first load is the one before it)
                        return real.load(cpu, (Long) args[1] - 2 * P); // page 0's value: another store's
                    }
                    final Object r;
                    try {
                        r = m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (m.getName().equals("mmap")) {
                        base[0] = (Long) r;
                    }
                    if (m.getName().equals("store") && page == 8) {
                        // past-end-ok: to exactly page 9, the first page the lie is about
                        assertTrue(TruncateRace.truncate(ctx[0], TruncateRace.state(ctx[0]),
                                how.equals("past-end-ok") ? 9 * P : 4 * P));
                    }
                    return r;
                });
        ctx[0] = new WorkloadContext(space, file, 16 * P, new Recorder(3), violations::add);
        ctx[0].state(new TruncateRace.State(ctx[0]));
        final long pages = TruncateRace.faulter(ctx[0], cpu, 0, round);
        if (expect.isEmpty()) {
            assertEquals(List.of(), violations);
            assertEquals(9, pages, "pages 0-8 stored, 9-15 SIGBUS");
            assertEquals(7 + 1, ctx[0].sigbusCount(), "pages 9-15, and page 8's load once the truncation was over");
        } else {
            assertEquals(1, violations.size(), violations::toString);
            assertTrue(violations.get(0).startsWith(expect), violations.get(0));
        }
        real.exit();
        file.close();
    }

    /**
     * The load before each store, across rounds: round 0 (shared) stores to every page; the file is
     * then truncated (to 4 pages, or to 3 bytes into page 4) and grown back; round 2 (shared) loads
     * each page first. A correct space shows 0 past the truncation and the thread's word (or its
     * low bytes, cut by the truncation) below it.
     *
     * @param how    none, partial (the truncation 3 bytes into page 4), resurrected (page 10 shows
     *               round 0's store again, as a page a racing miss kept past the end would; with the
     *               truncation to exactly page 10, -at-the-end), foreign
     *               (page 2 shows another page's value)
     * @param expect the start of the one violation and parts of the rest (after each '|'), or empty for none
     */
    @ParameterizedTest
    @CsvSource({"none, ''", "partial, ''",
        "resurrected, 'P4: word 0 of file page 10 read 0x|through a shared mapping, the thread|store from before a truncation to 0x4000 that completed after it'",
        "resurrected-at-the-end, 'P4: word 0 of file page 10 read 0x|store from before a truncation to 0xa000 that'",
        "foreign, 'P4: word 0 of file page 2 read 0x|through a shared mapping: neither 0 nor the thread|last store there'"})
    void theFileHoldsZeroOrTheLastStore(String how, String expect) {
        final Machine machine = Machine.builder(Arch.X86_64).frameLimit(1024).cpus(1).build();
        cpu = machine.cpu(0);
        cpu.bind();
        final AddressSpace real = Spaces.create(new SpaceOptions(Design.SPECULATIVE, machine).name("t")
                .driver(GracePeriodDriver.inline()));
        final FileObject file = new FileObject("t", 16 * P, machine.frames(), Set.of());
        final List<String> violations = new ArrayList<>();
        final long[] base = {0};
        final long[] round0 = new long[16];
        final boolean[] second = {false};
        final AddressSpace space = (AddressSpace) Proxy.newProxyInstance(AddressSpace.class.getClassLoader(),
                new Class<?>[] {AddressSpace.class}, (proxy, m, args) -> {
                    final int page = args != null && args.length > 1 && args[1] instanceof Long va ? (int) ((va - base[0]) / P) : -1;
                    if (second[0] && m.getName().equals("load") && page == 10 && how.startsWith("resurrected")) {
                        real.store(cpu, (Long) args[1], round0[10]); // the old store back in the file
                    }
                    if (second[0] && m.getName().equals("load") && page == 2 && how.equals("foreign")) {
                        return real.load(cpu, (Long) args[1] - 2 * P); // page 0's value
                    }
                    if (!second[0] && m.getName().equals("store")) {
                        round0[page] = (Long) args[2];
                    }
                    try {
                        final Object r = m.invoke(real, args);
                        if (m.getName().equals("mmap")) {
                            base[0] = (Long) r;
                        }
                        return r;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        final WorkloadContext ctx = new WorkloadContext(space, file, 16 * P, new Recorder(3), violations::add);
        ctx.state(new TruncateRace.State(ctx));
        assertEquals(16, TruncateRace.faulter(ctx, cpu, 0, 0));
        assertEquals(List.of(), violations);
        final long to = how.equals("partial") ? 4 * P + 3 : how.equals("resurrected-at-the-end") ? 10 * P : 4 * P;
        assertTrue(TruncateRace.truncate(ctx, TruncateRace.state(ctx), to));
        assertTrue(TruncateRace.truncate(ctx, TruncateRace.state(ctx), 16 * P));
        second[0] = true;
        final long pages = TruncateRace.faulter(ctx, cpu, 0, 2);
        if (expect.isEmpty()) {
            assertEquals(List.of(), violations);
            assertEquals(16, pages);
            if (how.equals("partial")) {
                assertTrue(TruncateRace.partOf(round0[4] & 0xffffff, round0[4]));
            }
        } else {
            assertEquals(1, violations.size(), violations::toString);
            final String[] part = expect.split("\\|");
            assertTrue(violations.get(0).startsWith(part[0]), violations.get(0));
            for (int i = 1; i < part.length; i++) {
                assertTrue(violations.get(0).contains(part[i]), violations.get(0));
            }
        }
        real.exit();
        file.close();
    }
}
