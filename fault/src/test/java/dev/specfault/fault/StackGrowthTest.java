package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_GROWSDOWN;
import static dev.specfault.fault.Mman.MAP_POPULATE;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
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
import dev.specfault.vma.Area;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Stack growth and the heap's name against Linux 6.x (from a review, 2026-11-30): a fault with no CPU
 * (a populate: GUP) never grows a stack, a stack grows no further than page offset 0, and an area
 * that overlaps [start_brk, brk) is the [heap].
 */
class StackGrowthTest {
    static final int RW = PROT_READ | PROT_WRITE;
    static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    static Stream<Arguments> spaces() {
        return ContractDesigns.spaces();
    }

    /** Runs {@code action} once, on the thread that reaches {@code point} first. */
    static final class Once implements FaultHooks {
        volatile Point point;
        volatile Runnable action;

        void arm(Point p, Runnable a) {
            point = p;
            action = a;
        }

        @Override
        public void at(Point p, AddressSpace s, long va) {
            final Runnable a = action;
            if (p == point && a != null) {
                action = null;
                a.run();
            }
        }
    }

    private Machine machine;
    private Cpu cpu;
    private final Once hook = new Once();

    private AddressSpace space(Design d, Arch arch) {
        return space(d, arch, SpaceConfig.defaults(arch));
    }

    private AddressSpace space(Design d, Arch arch, SpaceConfig cfg) {
        machine = Machine.builder(arch).frameLimit(4096).cpus(2).build();
        cpu = machine.cpu(0);
        cpu.bind();
        return Spaces.create(new SpaceOptions(d, machine).name("t").config(cfg).hooks(hook)
                .driver(GracePeriodDriver.inline()));
    }

    @AfterEach
    void unbind() {
        if (cpu != null && cpu.isBoundToCurrentThread()) {
            cpu.unbind();
        }
    }

    private static List<String> areasIn(AddressSpace s, long lo, long hi) {
        final List<String> out = new ArrayList<>();
        for (Area a : s.areas()) {
            if (a.start() < hi && a.end() > lo) {
                out.add(Long.toHexString(a.start()) + "-" + Long.toHexString(a.end()));
            }
        }
        return out;
    }

    /**
     * Linux 6.5+ never grows a stack from GUP (gup_vma_lookup: "GUP no longer grows the stack"), and
     * __mm_populate looks the area up again after the mmap lock was dropped
     * (find_vma_intersection, nstart raised to vm_start). A MAP_POPULATE of a GROWSDOWN area that
     * races a munmap of its lower half (between mmap's unlock and the populate) must leave the
     * lower half unmapped; here the populate's fault finds the address below the shrunk
     * GROWSDOWN area and grows it back.
     */
    static Stream<Arguments> lockedSpaces() {
        return spaces().filter(a -> a.get()[0] != Design.SPECULATIVE);
    }

    @ParameterizedTest
    @MethodSource("lockedSpaces")
    void populateRacingMunmapDoesNotGrowTheStackBack(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long base = 0x40000000L;
        final long[] munmapped = {1};
        final Runnable unmapLowerHalf = () -> munmapped[0] = s.munmap(base, 8 * PAGE_SIZE);
        // mmap has dropped the map lock and not yet populated (mm_populate runs after
        // mmap_write_unlock in Linux too, so this interleaving is one Linux allows).
        hook.arm(FaultHooks.Point.LOCKED_WRITER_UNLOCKED, unmapLowerHalf);
        assertEquals(base, s.mmap(base, 16 * PAGE_SIZE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN | MAP_POPULATE));
        assertEquals(0, munmapped[0], "the munmap ran inside the populate");
        assertEquals(List.of(Long.toHexString(base + 8 * PAGE_SIZE) + "-" + Long.toHexString(base + 16 * PAGE_SIZE)),
                areasIn(s, base - PAGE_SIZE, base + 16 * PAGE_SIZE), "the unmapped half stays unmapped");
        assertEquals(List.of(), s.checkQuiet());
    }

    /**
     * The same bug in every design (the speculative design has no hook on the populate path outside
     * the mmap lock, so a bounded race instead of a pause): MADV_POPULATE_WRITE of a GROWSDOWN area
     * while another thread unmaps its middle. Linux (6.5+) never grows an area from GUP, so the
     * unmapped middle must stay unmapped whatever the interleaving; here a populate fault that lands
     * in the hole, below the upper piece (GROWSDOWN too), grows it back down.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void madvisePopulateRacingMunmapNeverRemapsTheHole(Design d, Arch arch) throws Exception {
        final AddressSpace s = space(d, arch);
        final long base = 0x40000000L;
        final int pages = 64;
        final java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "munmap");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int i = 0; i < 200; i++) {
                assertEquals(base, s.mmap(base, pages * PAGE_SIZE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN));
                final long before = s.stats().faults(SpaceStats.Fault.ZERO_FILL);
                final java.util.concurrent.Future<Long> un = ex.submit(() -> {
                    // Once the populate has looked the area up and faulted its first page in
                    // (a zero fill counted), unmap the middle while it works on the first 8 pages.
                    while (s.stats().faults(SpaceStats.Fault.ZERO_FILL) <= before) {
                        Thread.onSpinWait();
                    }
                    return s.munmap(base + 8 * PAGE_SIZE, (pages - 16) * PAGE_SIZE);
                });
                s.madvise(base, pages * PAGE_SIZE, Mman.MADV_POPULATE_WRITE);
                assertEquals(0L, un.get());
                assertEquals(List.of(Long.toHexString(base) + "-" + Long.toHexString(base + 8 * PAGE_SIZE),
                        Long.toHexString(base + (pages - 8) * PAGE_SIZE) + "-" + Long.toHexString(base + pages * PAGE_SIZE)),
                        areasIn(s, base, base + pages * PAGE_SIZE), "iteration " + i + ": the hole was mapped again");
                assertEquals(0, s.munmap(base, pages * PAGE_SIZE));
            }
        } finally {
            ex.shutdownNow();
        }
        assertEquals(List.of(), s.checkQuiet());
    }

    /**
     * Linux expand_downwards grows only while {@code grow <= vma->vm_pgoff} (else ENOMEM: SIGSEGV).
     * A written anonymous GROWSDOWN area moved by mremap keeps its old pgoff (copy_vma), so one moved
     * up from 0x10000 (pgoff 16) can grow 16 pages and no more; here it grows on and its pgoff goes
     * negative.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aMovedStackDoesNotGrowPastPgoffZero(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long low = 0x10000L;
        final long to = 0x40000000L;
        assertEquals(low, s.mmap(low, PAGE_SIZE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN));
        assertEquals(AccessResult.OK, s.store(cpu, low, 1)); // written: the move keeps pgoff 16
        assertEquals(to, s.mremap(low, PAGE_SIZE, PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, to));
        assertEquals(16, s.areas().stream().filter(a -> a.start() == to).findFirst().orElseThrow().pgoff());
        assertEquals(AccessResult.OK, s.store(cpu, to - 16 * PAGE_SIZE, 2)); // grow 16 <= vm_pgoff 16
        assertEquals(AccessResult.SIGSEGV, s.store(cpu, to - 17 * PAGE_SIZE, 3), "grow 1 > vm_pgoff 0");
        for (Area a : s.areas()) {
            assertTrue(a.pgoff() >= 0, a::toString);
        }
    }

    /**
     * Linux (6.6+ vma_is_initial_heap: {@code vm_start < mm->brk && vm_end > mm->start_brk}; before,
     * {@code vm_start <= brk && vm_end >= start_brk}) names the area that holds the heap {@code [heap]}
     * even when an anonymous mapping placed right above the break merged into it; here only an area
     * that lies wholly inside [start_brk, brk) gets the name.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aHeapMergedWithTheMappingAboveIsStillNamedHeap(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long b = s.startBrk();
        assertEquals(b + 2 * PAGE_SIZE, s.brk(b + 2 * PAGE_SIZE));
        assertEquals(b + 2 * PAGE_SIZE, s.mmap(b + 2 * PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP_FIXED));
        assertEquals(List.of(Long.toHexString(b) + "-" + Long.toHexString(b + 3 * PAGE_SIZE)),
                areasIn(s, b, b + 3 * PAGE_SIZE), "one area, as on Linux");
        final String line = s.procMaps().lines().filter(l -> l.startsWith(Long.toHexString(b) + "-")).findFirst()
                .orElseThrow();
        assertTrue(line.endsWith("[heap]"), line);
    }
}
