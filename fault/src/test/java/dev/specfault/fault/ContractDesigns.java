package dev.specfault.fault;

import dev.specfault.pmap.Arch;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The designs the contract suite runs on: every design built so far. */
final class ContractDesigns {
    static final List<Design> DESIGNS = List.of(Design.SPECULATIVE, Design.LOCKED, Design.KERNEL_LOCK);

    /** Every design on both architectures: the contract tests' parameters. */
    static Stream<Arguments> spaces() {
        final List<Arguments> l = new ArrayList<>();
        for (Design d : DESIGNS) {
            for (Arch a : new Arch[] {Arch.X86_64, Arch.ARM64}) {
                l.add(Arguments.of(d, a));
            }
        }
        return l.stream();
    }

    private ContractDesigns() {
    }
}
