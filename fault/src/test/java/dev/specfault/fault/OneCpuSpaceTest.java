package dev.specfault.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import org.junit.jupiter.api.AfterEach;

/** Tests that run a space's calls and accesses on one emulated CPU bound to the test's thread. */
abstract class OneCpuSpaceTest {
    Machine machine;
    Cpu cpu;
    /** Frames in use on {@link #machine} before the first space was made. */
    long baseline;

    /**
     * A new machine of {@code frames} frames and two CPUs, the first bound here, and a space "t" of
     * {@code design} on it with {@code cfg}, grace periods inline.
     */
    AddressSpace newSpace(Design design, Arch arch, SpaceConfig cfg, long frames) {
        machine = Machine.builder(arch).frameLimit(frames).cpus(2).build();
        cpu = machine.cpu(0);
        cpu.bind();
        baseline = machine.frames().inUse();
        return Spaces.create(new SpaceOptions(design, machine).name("t").config(cfg).driver(GracePeriodDriver.inline()));
    }

    @AfterEach
    void unbind() {
        if (cpu != null && cpu.isBoundToCurrentThread()) {
            cpu.unbind();
        }
    }

    /** A load that must succeed; its value. */
    long load(AddressSpace s, long va) {
        final int r = s.load(cpu, va);
        assertEquals(AccessResult.OK, r, () -> "load 0x" + Long.toHexString(va) + ": " + AccessResult.name(r));
        return cpu.value();
    }

    /** A store that must succeed. */
    void store(AddressSpace s, long va, long v) {
        final int r = s.store(cpu, va, v);
        assertEquals(AccessResult.OK, r, () -> "store 0x" + Long.toHexString(va) + ": " + AccessResult.name(r));
    }
}
