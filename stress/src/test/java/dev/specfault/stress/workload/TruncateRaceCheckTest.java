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
     *               real space), past-end-ok (stores past the end succeed once the truncation is
     *               over), sigbus-inside (the store to page 2 says SIGBUS), lost (the load of page 2
     *               reads page 0's value)
     * @param round  even: a shared mapping; odd: a private one
     * @param expect the start of the one violation, or empty for none
     */
    @ParameterizedTest
    @CsvSource({"none, 0, ''", "none, 1, ''", "shared-only, 0, ''",
        "shared-only, 1, 'P4: a page at file offset 0x8000 of a private mapping, faulted in while the file was truncated, is still mapped'",
        "past-end-ok, 0, 'P4: a store at file offset 0x9000 through a shared mapping succeeded past the end of the file (0x4000'",
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
        final AddressSpace space = (AddressSpace) Proxy.newProxyInstance(AddressSpace.class.getClassLoader(),
                new Class<?>[] {AddressSpace.class}, (proxy, m, args) -> {
                    final long page = args != null && args.length > 1 && args[1] instanceof Long va ? (va - base[0]) / P : -1;
                    if (m.getName().equals("store") && page == 2 && how.equals("sigbus-inside")) {
                        return AccessResult.SIGBUS;
                    }
                    if (m.getName().equals("store") && page >= 9 && how.equals("past-end-ok")) {
                        return AccessResult.OK;
                    }
                    if (m.getName().equals("load") && page == 2 && how.equals("lost")) {
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
                        assertTrue(TruncateRace.truncate(ctx[0], TruncateRace.state(ctx[0]), 4 * P));
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
}
