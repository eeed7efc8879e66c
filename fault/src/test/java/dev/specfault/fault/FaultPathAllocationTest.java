package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The zero-fill fault path makes no Java garbage the kernel would not make. Linux keeps a fault's
 * state on the faulting task's stack ({@code struct vm_fault}), UVM too ({@code uvm_faultctx}); an
 * object per fault here was tens of MB/s of garbage in page_fault1, whose young collections and
 * fresh heap pages (the host's page faults, taken under the emulated store) sat in the latency tail
 * of the very runs that compare the designs. What a design allocates by its nature stays: the
 * locked design's {@code vm_anon} per page, an amap per region.
 *
 * <p>Counted with the JVM's per-thread allocation counter (not sampled): bytes allocated by this
 * thread while it stores to every page of a fresh 2 MiB region, divided by the pages. What is
 * asserted is garbage, not {@code new} in the source: an object that escape analysis removes is
 * neither counted nor garbage. The bounds assume compressed oops (the test JVM's 1 GiB heap).
 */
class FaultPathAllocationTest {
    private static final int PAGES = 512;
    private static final long REGION = PAGES * PAGE_SIZE;

    private Cpu cpu;

    @AfterEach
    void unbind() {
        if (cpu != null && cpu.isBoundToCurrentThread()) {
            cpu.unbind();
        }
    }

    /**
     * Bytes this thread allocated per fault over a fresh region (the least of several rounds):
     * zero-fill faults of private anonymous memory, or (with {@code shared}) faults of a shared
     * file mapping whose pages are in the page cache already (page_fault3's).
     */
    private double bytesPerFault(Design d, boolean shared) {
        final Machine machine = Machine.builder(Arch.X86_64).frameLimit(4 * PAGES).cpus(2).build();
        cpu = machine.cpu(0);
        cpu.bind();
        final AddressSpace s = Spaces.create(new SpaceOptions(d, machine).name("alloc")
                .driver(GracePeriodDriver.inline()));
        final FileObject file = shared ? new FileObject("f", REGION, machine.frames()) : null;
        final com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 8; round++) {
            final long a = shared ? s.mmap(0, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0)
                    : s.mmap(0, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
            assertTrue(a > 0, () -> "mmap: " + Errno.format(a));
            final long before = mx.getCurrentThreadAllocatedBytes();
            for (int p = 0; p < PAGES; p++) {
                final int r = s.store(cpu, a + p * PAGE_SIZE, p);
                if (r != AccessResult.OK) {
                    throw new AssertionError("store: " + AccessResult.name(r));
                }
            }
            final long after = mx.getCurrentThreadAllocatedBytes();
            assertEquals(0, s.munmap(a, REGION));
            // The least of several rounds: the first ones also load classes and fill caches.
            best = Math.min(best, (double) (after - before) / PAGES);
        }
        s.exit();
        return best;
    }

    @Test
    void theSpeculativeZeroFillFaultAllocatesNothing() {
        // Per region, not per fault: the first touch's fallback for the missing table. 0.3 bytes a
        // fault here; a Prep object per fault made it 64.
        final double b = bytesPerFault(Design.SPECULATIVE, false);
        assertTrue(b < 4, () -> "speculative zero-fill faults allocate " + b + " bytes each");
    }

    @Test
    void sharedFileFaultsAllocateNothingInAnyDesign() {
        for (Design d : ContractDesigns.DESIGNS) {
            final double b = bytesPerFault(d, true);
            assertTrue(b < 4, () -> d + " faults on a shared file allocate " + b + " bytes each");
        }
    }

    @Test
    void theLockedZeroFillFaultAllocatesOnlyWhatUvmAllocates() {
        // UVM allocates per page a vm_anon (here 32 bytes), and per 16-page amap chunk the chunk's
        // amap, lock, slot arrays and aref (about 1,100 bytes here, ~68 a page): ~100 bytes a
        // fault. A fault context and two boxed TreeMap lookups per fault (map entry, aref) made it 270.
        for (Design d : new Design[] {Design.LOCKED, Design.KERNEL_LOCK}) {
            final double b = bytesPerFault(d, false);
            assertTrue(b < 140, () -> d + " zero-fill faults allocate " + b + " bytes each");
        }
    }
}
