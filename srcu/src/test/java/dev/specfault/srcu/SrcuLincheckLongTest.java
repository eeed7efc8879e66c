package dev.specfault.srcu;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.specfault.srcu.testing.LincheckBudget;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The long profile's stress-mode proofs: real threads, no model checker, so a catch depends on
 * timing. Each seeded bug of the domain is caught by Lincheck's stress mode too.
 */
@Tag("long")
class SrcuLincheckLongTest {

    @Test
    void stressCatchesGracePeriodNoWait() {
        assertCaught(SrcuLincheckTest.NoWait.class);
    }

    @Test
    void stressCatchesReadSideNoFence() {
        assertCaught(SrcuLincheckTest.NoFence.class);
    }

    @Test
    void stressCatchesUnlockWrongIndex() {
        assertCaught(SrcuLincheckTest.WrongIndex.class);
    }

    @Test
    void stressCatchesCallbackEarly() {
        assertCaught(SrcuLincheckTest.CallbackEarly.class);
    }

    private static void assertCaught(Class<? extends ReclaimObject> bugged) {
        assertThrows(LincheckAssertionError.class, () -> LincheckBudget.stress()
                .minimizeFailedScenario(false)
                .sequentialSpecification(ReclaimObject.Spec.class).check(bugged));
    }
}
