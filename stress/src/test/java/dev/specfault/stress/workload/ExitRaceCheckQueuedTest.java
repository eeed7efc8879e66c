package dev.specfault.stress.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * exit_race's check of a queued child ({@code Forks.checkQueued}) against a legal interleaving:
 * another writer took the child from the queue ({@code exitOthers}), added it to {@code unmapping},
 * unmapped the 2 MiB around its region; this writer's load there is SIGSEGV; then, before this
 * writer looks at {@code unmapping}, the other one finishes (quiesce, exit, remove from
 * {@code unmapping}) — a writer preempted for a few milliseconds on a loaded 2-core machine. The
 * SIGSEGV is the munmap's, legal, and must not be a violation.
 */
class ExitRaceCheckQueuedTest extends BoundCpuTest {
    @ParameterizedTest
    @EnumSource(Design.class)
    void aSigsegvFromAnotherWritersMunmapIsNotAViolationWhenThatWriterHasFinishedSince(Design design) throws Throwable {
        final Machine machine = Machine.builder(Arch.X86_64).frameLimit(1024).cpus(1).build();
        cpu = machine.cpu(0);
        cpu.bind();
        final AddressSpace parent = Spaces.create(new SpaceOptions(design, machine).name("parent")
                .driver(GracePeriodDriver.inline()));
        final List<String> violations = new ArrayList<>();
        final WorkloadContext ctx = new WorkloadContext(parent, null, Mman.PAGE_SIZE, new Recorder(3), violations::add,
                1, 2, null);
        final Forks.State st = new Forks.State(2, 1);
        ctx.state(st);
        final long base = parent.mmap(0, Forks.OWN_PAGES * Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        final long[] values = new long[Forks.OWN_PAGES];
        for (int i = 0; i < values.length; i++) {
            values[i] = Touch.tag(2, 1, base + i * Mman.PAGE_SIZE);
            assertEquals(AccessResult.OK, parent.store(cpu, base + i * Mman.PAGE_SIZE, values[i]));
        }
        final AddressSpace real = parent.fork();
        final AddressSpace child = (AddressSpace) Proxy.newProxyInstance(AddressSpace.class.getClassLoader(),
                new Class<?>[] {AddressSpace.class}, (proxy, m, args) -> {
                    if (m.getName().equals("hashCode") && args == null) {
                        return System.identityHashCode(proxy);
                    }
                    if (m.getName().equals("equals") && args != null && args.length == 1) {
                        return proxy == args[0];
                    }
                    final Object r;
                    try {
                        r = m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (m.getName().equals("load") && (Integer) r == AccessResult.SIGSEGV && st.unmapping.contains(proxy)) {
                        // the other writer runs on now: the rest of exitOthers
                        real.quiesce();
                        real.exit();
                        st.unmapping.remove(proxy);
                    }
                    return r;
                });
        // The other writer (exitOthers), up to its munmap:
        st.unmapping.add(child);
        assertEquals(0, child.munmap(base & -Forks.TABLE_SPAN, Forks.TABLE_SPAN));
        final Method check = Forks.class.getDeclaredMethod("checkQueued", WorkloadContext.class, Cpu.class, Forks.Child.class);
        check.setAccessible(true);
        final boolean ok = (Boolean) check.invoke(null, ctx, cpu, new Forks.Child(child, 2, base, values));
        assertTrue(real.isExited());
        assertEquals(List.of(), violations, "a SIGSEGV from a concurrent legitimate munmap of an exiting child");
        assertTrue(ok);
        real.quiesce();
        parent.exit();
        parent.quiesce();
    }
}
