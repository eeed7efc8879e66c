package dev.specfault.fault.check;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The class loading before a check runs every harness's operations and leaves nothing behind. */
class LoadClassesTest {
    @ParameterizedTest
    @ValueSource(classes = {SpaceLinearizability.class, LazyFreeLinearizability.class, SealLinearizability.class,
        FileLinearizability.class})
    void everyHarnessRunsAndLeavesNoCpuBoundAndNoSpaceLive(Class<? extends WindowHarness> harness) {
        final WindowHarness h;
        synchronized (LinearizabilityCheck.class) {
            WindowHarness.configure(CheckConfig.of(Design.LOCKED, Arch.ARM64), 2);
            h = LinearizabilityCheck.loadClassesOf(harness);
        }
        assertTrue(h.space.isExited(), "the throw-away space exited");
        for (int i = 0; i < 3; i++) {
            assertFalse(h.machine.cpu(i).isBoundToCurrentThread(), "cpu " + i + " left bound to the test thread");
        }
        assertTrue(h.space.stats().totalFaults() > 0, "the operations ran: " + h.space.stats().totalFaults() + " faults");
    }
}
