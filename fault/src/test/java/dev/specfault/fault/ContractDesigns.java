package dev.specfault.fault;

import java.util.List;

/** The designs the contract suite runs on: every design built so far. */
final class ContractDesigns {
    static final List<Design> DESIGNS = List.of(Design.SPECULATIVE, Design.LOCKED, Design.KERNEL_LOCK);

    private ContractDesigns() {
    }
}
