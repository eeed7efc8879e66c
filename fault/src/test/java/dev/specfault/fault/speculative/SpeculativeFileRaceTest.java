package dev.specfault.fault.speculative;

import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.FaultHooks;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.TablePage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Speculative file faults racing munmap of the file's last mapping, MADV_DONTNEED and mremap (no leak, no stale page). */
class SpeculativeFileRaceTest extends ScenarioBase {

    private long baseline;

    private FileObject mapped(Arch arch, int flags, int prot) {
        build(arch, Set.of(), Set.of());
        baseline = machine.frames().inUse();
        final FileObject f = new FileObject("f", 2 * PAGE_SIZE, machine.frames());
        assertEquals(P, space.mmap(P, 2 * PAGE_SIZE, prot, flags | MAP_FIXED, f, 0));
        f.close();
        return f;
    }

    private void noLeak(FileObject f) {
        space.exit();
        space.quiesce();
        assertEquals(0, f.refs());
        assertTrue(machine.frames().inUse() < baseline, () -> "frames leaked: " + machine.frames().inUse() + " in use, " + baseline + " before the file");
    }

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void sharedFaultRacingMunmapOfTheLastMappingBeforePtl(Arch arch) {
        final FileObject f = mapped(arch, MAP_SHARED, RW);
        space.mmap(P + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ, ANON);
        load(0, P + PAGE_SIZE);
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PTL, () -> space.munmap(P, 2 * PAGE_SIZE));
        assertEquals(AccessResult.SIGSEGV, store(0, P, 2));
        assertEquals(List.of(), space.checkQuiet());
        noLeak(f);
    }

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void sharedFaultRacingMunmapOfTheLastMappingBeforeGetPage(Arch arch) {
        final FileObject f = mapped(arch, MAP_SHARED, RW);
        space.mmap(P + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ, ANON);
        load(0, P + PAGE_SIZE);
        hook.arm(FaultHooks.Point.FAULT_AFTER_LOOKUP, () -> space.munmap(P, 2 * PAGE_SIZE));
        assertEquals(AccessResult.SIGSEGV, store(0, P, 2));
        assertEquals(List.of(), space.checkQuiet());
        noLeak(f);
    }

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void privateCowRacingDontneedBeforePin(Arch arch) {
        final FileObject f = mapped(arch, MAP_PRIVATE, RW);
        assertEquals(0, load(0, P));
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PIN, () -> {
            space.madvise(P, PAGE_SIZE, Mman.MADV_DONTNEED);
        });
        assertEquals(AccessResult.OK, store(0, P, 2));
        assertEquals(2, load(1, P));
        assertEquals(1, f.refs());
        assertEquals(List.of(), space.checkQuiet());
        noLeak(f);
    }

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void privateCowRacingMremapBeforePtl(Arch arch) {
        final FileObject f = mapped(arch, MAP_PRIVATE, RW);
        assertEquals(0, load(0, P + PAGE_SIZE));
        final long q = P + 64 * PAGE_SIZE;
        hook.arm(FaultHooks.Point.FAULT_BEFORE_PTL, () -> assertEquals(q, space.mremap(P + PAGE_SIZE, PAGE_SIZE,
                PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, q)));
        assertEquals(AccessResult.SIGSEGV, store(0, P + PAGE_SIZE, 2));
        assertEquals(AccessResult.OK, store(1, q, 3));
        assertEquals(3, load(0, q));
        assertEquals(List.of(), space.checkQuiet());
        noLeak(f);
    }

    /**
     * The quiet check's P4 for file pages (as the locked design's): a private file mapping's entry
     * that maps the file's page writable is reported (a store through it would write the file); the
     * same mapping after a read, a COW store, and a shared mapping's stores are clean.
     */
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void theQuietCheckReportsAPrivateFileMappingThatMapsTheFilesPageWritable(Arch arch) {
        mapped(arch, MAP_PRIVATE, RW);
        final long shared = P + 8 * PAGE_SIZE;
        final FileObject g = new FileObject("g", PAGE_SIZE, machine.frames());
        assertEquals(shared, space.mmap(shared, PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, g, 0));
        g.close();
        assertEquals(AccessResult.OK, store(0, shared, 5));
        load(0, P); // the file's page, read-only
        assertEquals(AccessResult.OK, store(0, P + PAGE_SIZE, 6)); // a private copy, writable
        assertEquals(List.of(), space.checkQuiet());
        on(0, () -> {
            final Pmap pm = space.pmap();
            final long table = pm.leafTable(P);
            final TablePage tp = pm.tablePage(table);
            tp.lock();
            try {
                pm.rewrite(table, Arch.index(P, 1), P, (va, old) -> pm.format().mkwrite(old));
            } finally {
                tp.unlock();
            }
            return null;
        });
        final List<String> found = space.checkQuiet();
        assertEquals(1, found.size(), found::toString);
        assertTrue(found.get(0).startsWith("P4: ") && found.get(0).contains("writable in a private file mapping"), found::toString);
    }
}
