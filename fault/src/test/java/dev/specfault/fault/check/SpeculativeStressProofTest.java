package dev.specfault.fault.check;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.pmap.Arch;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The long profile's timing-dependent proofs: the harness in stress mode (real threads, the
 * invariant checks in @Validate) catches the seeded bugs of the fault path that its operations
 * exercise. The bugs that need fork or a reclamation bug beside them are proved by the
 * deterministic scenarios of SpeculativeSeededBugTest.
 */
@Tag("long")
class SpeculativeStressProofTest {
    @ParameterizedTest
    @EnumSource(value = FaultBug.class, names = {"SKIP_DEAD_CHECK", "ZAP_BEFORE_MARK_DEAD", "PUBLISH_BEFORE_ZAP",
        "SKIP_PTE_RECHECK", "MPROTECT_SKIP_FLUSH"})
    void stressCatches(FaultBug bug) {
        assertThrows(LincheckAssertionError.class, () -> LinearizabilityCheck.stress(
                CheckConfig.of(Design.SPECULATIVE, Arch.X86_64).with(bug),
                new LinearizabilityCheck.Budget(50, 5000, 3, false)));
    }
}
