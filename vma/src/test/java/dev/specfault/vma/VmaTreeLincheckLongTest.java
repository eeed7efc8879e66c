package dev.specfault.vma;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.jetbrains.lincheck.LincheckAssertionError;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The long profile's proofs: model checking catches PUBLISH_TWO_STORES (a hole) and SKIP_MARK_DEAD (a
 * stray PTE in validation), and
 * stress mode (real threads, timing-dependent) catches every seeded bug of the tree.
 */
@Tag("long")
class VmaTreeLincheckLongTest {

    /** A reader sees a hole (touch says SIGSEGV, find skips the range): results no order explains. */
    @Test
    void modelCheckingCatchesPublishTwoStores() {
        VmaTreeLincheckTest.assertCaught(VmaTreeLincheckTest.TwoStores.class, "Invalid execution results");
    }

    @Test
    void modelCheckingCatchesSkipMarkDead() {
        VmaTreeLincheckTest.assertCaught(VmaTreeLincheckTest.SkipMarkDead.class, "stray PTE");
    }

    @Test
    void stressCatchesPublishTwoStores() {
        assertStressCatches(VmaTreeLincheckTest.TwoStores.class);
    }

    @Test
    void stressCatchesNodeFreeNoGrace() {
        assertStressCatches(VmaTreeLincheckTest.NoGrace.class);
    }

    @Test
    void stressCatchesSkipMarkDead() {
        assertStressCatches(VmaTreeLincheckTest.SkipMarkDead.class);
    }

    private static void assertStressCatches(Class<? extends TreeSpace> bugged) {
        assertThrows(LincheckAssertionError.class, () -> VmaTreeLincheckTest.stress().minimizeFailedScenario(false)
                .sequentialSpecification(TreeSpace.Spec.class).check(bugged));
    }
}
