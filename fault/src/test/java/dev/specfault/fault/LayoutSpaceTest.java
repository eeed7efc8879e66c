package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.vma.Area;
import dev.specfault.vma.Prot;
import dev.specfault.vma.VmaFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Tests of the layout against the kernel's /proc/PID/maps lines: one space per test on one CPU,
 * every design and architecture, and the areas printed as the kernel prints them.
 */
abstract class LayoutSpaceTest extends OneCpuSpaceTest {
    static final int RW = PROT_READ | PROT_WRITE;
    static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;
    static final long P = PAGE_SIZE;

    static Stream<Arguments> spaces() {
        return ContractDesigns.spaces();
    }

    AddressSpace space(Design d, Arch arch) {
        return space(d, arch, SpaceConfig.defaults(arch));
    }

    AddressSpace space(Design d, Arch arch, SpaceConfig config) {
        machine = Machine.builder(arch).frameLimit(4096).cpus(2).build();
        cpu = machine.cpu(0);
        cpu.bind();
        return Spaces.create(new SpaceOptions(d, machine).name("t").config(config).driver(GracePeriodDriver.inline()));
    }

    /** The areas over [lo, hi) as /proc/PID/maps shows their start, end and rights. */
    static List<String> maps(AddressSpace s, long lo, long hi) {
        final List<String> l = new ArrayList<>();
        for (Area a : s.areas()) {
            if (a.end() > lo && a.start() < hi) {
                l.add(Long.toHexString(a.start()) + "-" + Long.toHexString(a.end()) + " " + Prot.toString(a.prot())
                        + (VmaFlags.isShared(a.flags()) ? 's' : 'p'));
            }
        }
        return l;
    }

    /** A FIXED mmap that must succeed. */
    long map(AddressSpace s, long at, long len, int prot, int flags) {
        final long r = s.mmap(at, len, prot, flags | MAP_FIXED);
        assertEquals(at, r, () -> Errno.format(r));
        return r;
    }
}
