package dev.specfault.fault.locked;

import dev.specfault.fault.Design;
import dev.specfault.fault.check.CheckConfig;
import dev.specfault.fault.check.LinearizabilityCheck;
import dev.specfault.pmap.Arch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

/**
 * P8 on the locked design and its kernel-lock mode, both architectures: mmap, munmap, mprotect,
 * madvise, mremap, load and store are linearizable against the sequential model (Lincheck model
 * checking). The default run uses a small budget (the harness costs ~0.1 s per invocation here);
 * the long profile runs BUILD.md's budget and stress mode.
 */
class LockedLinearizabilityTest {
    /**
     * The default run's budget: 2 scenarios × 30 interleavings, 3 actors per thread. An invocation
     * costs 0.15–0.6 s here depending on the load (2 × 150 took 45–65 s per configuration, 2 × 40
     * 10–18 s at load 4 and ~50 s at load 9).
     */
    static final LinearizabilityCheck.Budget SMALL = new LinearizabilityCheck.Budget(2, 30, 3, true);

    static Stream<Arguments> matrix() {
        return Stream.of(Design.LOCKED, Design.KERNEL_LOCK)
                .flatMap(d -> Stream.of(Arch.X86_64, Arch.ARM64).map(a -> Arguments.of(d, a)));
    }

    /**
     * The default run: the locked design on both architectures, kernel-lock mode (the same code under
     * one more lock) on x86; every pair in the long profile ({@link #modelCheckingLong}). The default
     * run came within 31 s of its 10-minute limit when the file harness joined it (2026-11-30).
     */
    static Stream<Arguments> defaultMatrix() {
        return matrix().filter(a -> a.get()[0] == Design.LOCKED || a.get()[1] == Arch.X86_64);
    }

    @ParameterizedTest
    @MethodSource("defaultMatrix")
    void modelChecking(Design d, Arch arch) {
        LinearizabilityCheck.modelCheck(CheckConfig.of(d, arch), SMALL);
    }

    /**
     * With MADV_FREE and lazy-free reclaim among the operations: the locked design on x86 (kernel-lock
     * mode runs the same MADV_FREE and reclaim code under one more lock). In the long profile: the
     * default run stays under its time budget.
     */
    @Tag("long")
    @org.junit.jupiter.api.Test
    void modelCheckingWithLazyFree() {
        LinearizabilityCheck.modelCheck(CheckConfig.of(Design.LOCKED, Arch.X86_64), SMALL,
                dev.specfault.fault.check.LazyFreeLinearizability.class);
    }

    /** With mseal among the operations: the locked design on x86 (every pair in the long profile). */
    @org.junit.jupiter.api.Test
    void modelCheckingWithSeals() {
        LinearizabilityCheck.modelCheck(CheckConfig.of(Design.LOCKED, Arch.X86_64), new LinearizabilityCheck.Budget(1, 30, 3, true),
                dev.specfault.fault.check.SealLinearizability.class);
    }

    @Tag("long")
    @ParameterizedTest
    @MethodSource("matrix")
    void modelCheckingWithSealsLong(Design d, Arch arch) {
        LinearizabilityCheck.modelCheck(CheckConfig.of(d, arch), SMALL, dev.specfault.fault.check.SealLinearizability.class);
    }

    @Tag("long")
    @ParameterizedTest
    @MethodSource("matrix")
    void modelCheckingLong(Design d, Arch arch) {
        LinearizabilityCheck.modelCheck(CheckConfig.of(d, arch), LinearizabilityCheck.Budget.defaults(2, 150));
    }

    @Tag("long")
    @ParameterizedTest
    @MethodSource("matrix")
    void stress(Design d, Arch arch) {
        LinearizabilityCheck.stress(CheckConfig.of(d, arch), LinearizabilityCheck.Budget.stressDefaults(3, 1000));
    }
}
