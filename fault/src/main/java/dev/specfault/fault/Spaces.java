package dev.specfault.fault;

import dev.specfault.fault.locked.LockedSpace;
import dev.specfault.fault.speculative.SpeculativeSpace;

/** Builds an address space of the design the options name. */
public final class Spaces {
    private Spaces() {
    }

    /** Whether {@code d} can be built (every design can now). */
    public static boolean isBuilt(Design d) {
        return d != null;
    }

    /** @throws OutOfFramesException when the machine has no frame left for the root page table */
    public static AddressSpace create(SpaceOptions o) {
        switch (o.design()) {
            case SPECULATIVE:
                return SpeculativeSpace.create(o);
            case LOCKED:
            case KERNEL_LOCK:
                return LockedSpace.create(o);
            default:
                throw new UnsupportedOperationException(o.design().cliName() + " design: not built yet");
        }
    }
}
