package dev.specfault.fault.check;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import org.junit.jupiter.api.Test;

/** P8 on the speculative design, both architectures, model checking and stress mode. */
class SpeculativeLinearizabilityTest {
    @Test
    void modelCheckingX86() {
        LinearizabilityCheck.modelCheck(CheckConfig.of(Design.SPECULATIVE, Arch.X86_64),
                LinearizabilityCheck.Budget.defaults(Integer.getInteger("it", 2)));
    }
}
