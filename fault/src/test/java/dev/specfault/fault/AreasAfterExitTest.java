package dev.specfault.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.List;
import org.junit.jupiter.api.Test;

/** areas() of an exited space: empty, not a walk of the tree root VmaTree.destroy() retired (found in review, 2026-11-30). */
class AreasAfterExitTest {
    @Test
    void areasAfterExitIsEmptyNotAUseAfterFree() {
        for (Design d : ContractDesigns.DESIGNS) {
            final Machine machine = Machine.builder(Arch.X86_64).frameLimit(4096).cpus(2).build();
            machine.cpu(0).bind();
            try {
            final AddressSpace s = Spaces.create(new SpaceOptions(d, machine).name("t")
                    .config(SpaceConfig.defaults(Arch.X86_64)).driver(GracePeriodDriver.inline()));
            s.mmap(0x10000000, Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
            s.exit();
            s.quiesce();
            assertEquals(List.of(), s.areas(), d + ": areas() after exit");
            } finally {
                machine.cpu(0).unbind();
            }
        }
    }
}
