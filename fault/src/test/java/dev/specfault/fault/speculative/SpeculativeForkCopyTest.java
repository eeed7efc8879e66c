package dev.specfault.fault.speculative;

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
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.PmapHooks;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * fork's copy of a private area (copy_page_range) while hardware changes an entry's accessed bit
 * under the write-protect pass: Pmap.rewrite's CAS fails and it asks for the entry again. The copy
 * must take the entry once, as written. Found when the copy went from a hash map of entries to a
 * list (2026-11-30): the retried entry was installed twice in the child, and the child's exit
 * unmapped the frame more often than it was mapped.
 */
class SpeculativeForkCopyTest {
    private static final long VA = 0x10000000L;
    private static final long PAGE = Mman.PAGE_SIZE;

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void anEntryTheHardwareChangesDuringTheCopyIsCopiedOnce(Arch arch) {
        final AtomicBoolean armed = new AtomicBoolean(false);
        final AtomicReference<Machine> mr = new AtomicReference<>();
        final Machine m = Machine.builder(arch).cpus(2).frameLimit(4096).prefetchPercent(0)
                .hooks((point, pmap, va) -> {
                    if (point.equals(PmapHooks.REWRITE_BEFORE_CAS) && va == VA && armed.compareAndSet(true, false)) {
                        hardwareMakesItOld(mr.get(), pmap, va);
                    }
                }).build();
        mr.set(m);
        final Cpu cpu = m.cpu(0);
        cpu.bind();
        try {
            final long before = m.frames().inUse(); // the kernel's space
            final AddressSpace s = Spaces.create(new SpaceOptions(Design.SPECULATIVE, m).name("p")
                    .driver(GracePeriodDriver.inline()));
            assertEquals(VA, s.mmap(VA, 4 * PAGE, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED));
            for (int i = 0; i < 4; i++) {
                assertEquals(AccessResult.OK, s.store(cpu, VA + i * PAGE, 10 + i));
            }
            armed.set(true);
            final AddressSpace c = s.fork();
            assertEquals(false, armed.get(), "the hook ran: the rewrite's CAS lost once");
            for (int i = 0; i < 4; i++) {
                assertEquals(AccessResult.OK, c.load(cpu, VA + i * PAGE));
                assertEquals(10 + i, cpu.value());
            }
            c.exit(); // threw "frame N unmapped more often than mapped" with the entry copied twice
            c.quiesce();
            assertEquals(0, s.munmap(VA, 4 * PAGE));
            s.exit();
            s.quiesce();
            assertEquals(before, m.frames().inUse(), "every frame back");
        } finally {
            cpu.unbind();
        }
    }

    /** What a walker's A-bit update does, seen from the rewrite: the entry changed under it. */
    private static void hardwareMakesItOld(Machine m, Pmap pmap, long va) {
        final long t = pmap.leafTable(va);
        final int idx = Arch.index(va, 1);
        final long e = pmap.pte(t, idx);
        final long flipped = pmap.format().young(e) ? pmap.format().mkold(e) : pmap.format().mkyoung(e);
        m.memory().cas(t, idx, e, flipped);
    }
}
