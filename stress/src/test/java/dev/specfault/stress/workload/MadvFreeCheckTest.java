package dev.specfault.stress.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The madv_free workload's P4 check in isolation: a space that loses the first store after each
 * MADV_FREE (the page discarded right after it, as a reclaim that missed the store's dirty state
 * would) must be reported, whether the load then reads 0 or the value from before MADV_FREE. The
 * only seeded bug that reaches this check (zap-plain-write) needs a race that takes seconds to hit.
 */
class MadvFreeCheckTest extends BoundCpuTest {
    /** How the wrapped space loses a store: not at all, the page discarded, or the store dropped. */
    @ParameterizedTest
    @ValueSource(strings = {"none", "discarded", "dropped"})
    void aLostStoreAfterMadvFreeIsAViolation(String loss) {
        final Machine machine = Machine.builder(Arch.X86_64).frameLimit(1024).cpus(1).build();
        cpu = machine.cpu(0);
        cpu.bind();
        final AddressSpace real = Spaces.create(new SpaceOptions(Design.SPECULATIVE, machine).name("t")
                .driver(GracePeriodDriver.inline()));
        final boolean[] armed = {false};
        final AddressSpace lossy = (AddressSpace) Proxy.newProxyInstance(AddressSpace.class.getClassLoader(),
                new Class<?>[] {AddressSpace.class}, (proxy, m, args) -> {
                    if (m.getName().equals("store") && armed[0] && !loss.equals("none")) {
                        armed[0] = false;
                        final long va = (Long) args[1];
                        if (loss.equals("dropped")) {
                            return 0; // AccessResult.OK, and the page keeps its old value
                        }
                        final Object r = m.invoke(real, args);
                        real.madvise(va & Mman.PAGE_MASK, Mman.PAGE_SIZE, Mman.MADV_DONTNEED);
                        return r;
                    }
                    if (m.getName().equals("madvise") && (Integer) args[2] == Mman.MADV_FREE) {
                        armed[0] = true;
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        final List<String> violations = new ArrayList<>();
        final WorkloadContext ctx = new WorkloadContext(lossy, null, 4 * MadvFree.BATCH * Mman.PAGE_SIZE,
                new Recorder(3), violations::add);
        ctx.state(new MadvFree.State(ctx));
        final long pages = MadvFree.faulter(ctx, cpu, 0, 1, new SplittableRandom(7));
        if (loss.equals("none")) {
            assertEquals(List.of(), violations);
            assertTrue(pages > 4 * MadvFree.BATCH, "pages stored: " + pages);
        } else {
            assertEquals(1, violations.size(), violations::toString);
            assertTrue(violations.get(0).startsWith("P4: a store after MADV_FREE was lost"), violations.get(0));
            assertEquals(loss.equals("discarded"), violations.get(0).contains("(reclaim discarded the page"),
                    violations.get(0));
        }
        real.exit();
    }
}
