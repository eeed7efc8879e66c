package dev.specfault.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import org.junit.jupiter.api.Test;

/**
 * The page cache is a two-level radix tree made on first use: a terabyte file costs its top level,
 * not a slot per page (a replay of a 4 TiB mapping used to run the JVM out of heap).
 */
class FileObjectTest {
    @Test
    void aTerabyteFileCostsOnlyThePagesTouched() {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(64).cpus(1).build();
        final FileObject f = new FileObject("big", FileObject.MAX_SIZE, m.frames());
        assertEquals(FileObject.MAX_SIZE / Mman.PAGE_SIZE, f.pageCount());
        final long last = f.pageCount() - 1;
        f.writeWord(last * Mman.PAGE_SIZE + 8, 42);
        f.writeWord(0, 7);
        assertEquals(42, f.readWord(last * Mman.PAGE_SIZE + 8));
        assertEquals(7, f.readWord(0));
        assertEquals(0, f.readWord(513 * Mman.PAGE_SIZE)); // another leaf, never written
        assertEquals(FileObject.SIGBUS, f.getPage(f.pageCount(), null));
        assertTrue(f.cachedFrame(last) >= 0);
        assertEquals(-1, f.cachedFrame(1000));
        final long inUse = m.frameStats().inUse();
        f.close();
        assertEquals(inUse - 3, m.frameStats().inUse(), "the cache's pages go back when the last reference goes");
        assertThrows(IllegalArgumentException.class, () -> new FileObject("huge", FileObject.MAX_SIZE + 1, m.frames()));
    }

    /** Shared anonymous memory is a shmem file: above the page cache's limit, mmap says ENOMEM. */
    @Test
    void sharedAnonymousMemoryAboveTheLimitIsEnomem() {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(64).cpus(1).build();
        final AddressSpace s = Spaces.create(new SpaceOptions(Design.SPECULATIVE, m).name("s")
                .driver(GracePeriodDriver.inline()));
        final int shared = Mman.MAP_SHARED | Mman.MAP_ANONYMOUS;
        assertEquals(-Errno.ENOMEM, s.mmap(0, FileObject.MAX_SIZE + Mman.PAGE_SIZE, Mman.PROT_READ, shared));
        assertTrue(s.mmap(0, FileObject.MAX_SIZE, Mman.PROT_READ, shared) > 0);
        s.exit();
    }
}
