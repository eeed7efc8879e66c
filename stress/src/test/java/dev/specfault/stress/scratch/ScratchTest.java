package dev.specfault.stress.scratch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void remap() throws Exception {
        final Machine m = Machine.builder(Arch.X86_64).cpus(2).frameLimit(4096).build();
        final AddressSpace s = Spaces.create(new SpaceOptions(Design.KERNEL_LOCK, m).name("s"));
        final long a = 0x200000000L;
        final int rw = Mman.PROT_READ | Mman.PROT_WRITE;
        final int fl = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED;
        assertEquals(a, s.mmap(a, 16 * 4096, rw, fl));
        assertEquals(a + (1 << 20), s.mmap(a + (1 << 20), 4096, Mman.PROT_READ, fl));
        final Cpu c = m.cpu(0);
        c.bind();
        for (int i = 0; i < 16; i++) {
            assertEquals(AccessResult.OK, s.store(c, a + i * 4096L, i + 1), "store " + i);
        }
        final Thread t = new Thread(() -> {
            m.cpu(1).bind();
            assertEquals(0, s.munmap(a, 16 * 4096));
            assertEquals(a, s.mmap(a, 16 * 4096, rw, fl));
            m.cpu(1).unbind();
        });
        t.start();
        t.join();
        System.out.println(s.procMaps());
        for (int i = 0; i < 16; i++) {
            assertEquals(AccessResult.OK, s.load(c, a + i * 4096L), "load " + i);
            assertEquals(0, c.value());
        }
    }
}
