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

    /**
     * Two misses of one page at once: the second to install finds the first's page and returns it
     * (its own goes back), so both callers hold the file's one page. Returns the two frames and the
     * frames in use after the file is closed and both callers' references are dropped.
     */
    private static long[] twoMissesOfOnePage(java.util.Set<FaultBug> bugs) throws Exception {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(64).cpus(1).build();
        final long before = m.frameStats().inUse();
        final FileObject f = new FileObject("f", Mman.PAGE_SIZE, m.frames(), bugs);
        final java.util.concurrent.CountDownLatch atMiss = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        f.missHook(() -> {
            f.missHook(null); // the first miss only
            atMiss.countDown();
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        final java.util.concurrent.CompletableFuture<Long> first =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> f.getPage(0, null));
        atMiss.await(); // the first caller made its page and is about to install it
        final long second = f.getPage(0, null);
        go.countDown();
        final long one = first.get();
        final long cached = f.cachedFrame(0);
        m.frames().put(one);
        m.frames().put(second);
        f.close();
        return new long[] {one, second, cached, m.frameStats().inUse() - before};
    }

    @Test
    void twoMissesOfOnePageGetTheSamePage() throws Exception {
        final long[] r = twoMissesOfOnePage(java.util.Set.of());
        assertEquals(r[1], r[0], "both callers hold the installed page");
        assertEquals(r[1], r[2]);
        assertEquals(0, r[3], "no frame leaked");
    }

    /** The seeded bug page-cache-unchecked-insert: the first caller's page replaces the second's, which leaks. */
    @Test
    void seededPageCacheUncheckedInsertIsCaught() throws Exception {
        final long[] r = twoMissesOfOnePage(java.util.Set.of(FaultBug.PAGE_CACHE_UNCHECKED_INSERT));
        assertTrue(r[0] != r[1], "two pages for one offset");
        assertEquals(r[0], r[2], "the cache holds the later install");
        assertEquals(1, r[3], "the replaced page's cache reference leaked");
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
    /**
     * A miss racing a truncation: the truncation writes the new size and scans the slots after the
     * miss looked at the size but before it installed its page. The miss must read the size again
     * and take its page out itself: SIGBUS, nothing left in the cache past the end, no frame leaked.
     */
    @Test
    void aMissRacingATruncationTakesItsPageOutAgain() {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(64).cpus(1).build();
        final long before = m.frameStats().inUse();
        final FileObject f = missRacingATruncation(m, java.util.Set.of());
        assertEquals(-1, f.cachedFrame(2), "no page past the end");
        assertEquals(before, m.frameStats().inUse(), "its frame went back");
        f.close();
    }

    /**
     * The seeded bug page-cache-miss-past-end: the miss keeps its page, and the truncation has
     * already looked at the slot: a page past the end stays in the cache, with what was stored in
     * it, for the file to show when it grows back.
     */
    @Test
    void seededPageCacheMissPastEndIsCaught() {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(64).cpus(1).build();
        final long[] page = {0};
        final FileObject f = new FileObject("f", 4 * Mman.PAGE_SIZE, 4 * Mman.PAGE_SIZE, m.frames(),
                java.util.Set.of(FaultBug.PAGE_CACHE_MISS_PAST_END));
        f.missHook(() -> {
            f.missHook(null);
            assertEquals(0, f.truncate(Mman.PAGE_SIZE));
        });
        page[0] = f.getPage(2, null);
        assertTrue(page[0] >= 0, "the miss kept its page past the end");
        m.memory().putRelease(page[0], 0, 42); // a store through a mapping before the zap
        m.frames().put(page[0]);
        assertEquals(page[0], f.cachedFrame(2), "a page past the end in the cache");
        assertEquals(0, f.truncate(4 * Mman.PAGE_SIZE));
        assertEquals(42, f.pread(2 * Mman.PAGE_SIZE).orElseThrow(), "the file grew back with the old store, not zeros");
        f.close();
    }

    /** A miss of page 2 of a 4-page file whose new page a truncation to 1 page races; its SIGBUS. */
    private static FileObject missRacingATruncation(Machine m, java.util.Set<FaultBug> bugs) {
        final FileObject f = new FileObject("f", 4 * Mman.PAGE_SIZE, 4 * Mman.PAGE_SIZE, m.frames(), bugs);
        final long[] truncated = {1};
        f.missHook(() -> {
            f.missHook(null);
            truncated[0] = f.truncate(Mman.PAGE_SIZE);
        });
        assertEquals(FileObject.SIGBUS, f.getPage(2, null));
        assertEquals(0, truncated[0]);
        return f;
    }

    /**
     * A truncation zaps every registered space, and then the ones registered meanwhile (a fork's
     * child registers under its parent's writer lock, possibly after the truncation listed the
     * spaces), until a pass finds none new; a space gone is not asked.
     */
    @Test
    void aTruncationZapsTheSpacesRegisteredWhileItZaps() {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(64).cpus(1).build();
        final FileObject f = new FileObject("f", 4 * Mman.PAGE_SIZE, m.frames());
        final java.util.List<String> zapped = new java.util.ArrayList<>();
        final FileObject.Mapper child = (file, from) -> zapped.add("child from " + from);
        final FileObject.Mapper gone = (file, from) -> zapped.add("gone");
        final FileObject.Mapper parent = (file, from) -> {
            zapped.add("parent from " + from);
            f.addMapper(child);
        };
        f.addMapper(parent);
        f.addMapper(gone);
        f.removeMapper(gone);
        assertEquals(0, f.truncate(Mman.PAGE_SIZE + 1));
        assertEquals(java.util.List.of("parent from 2", "child from 2"), zapped);
        zapped.clear();
        assertEquals(0, f.truncate(3 * Mman.PAGE_SIZE));
        assertEquals(java.util.List.of(), zapped, "growing zaps nothing");
        f.close();
    }
    /**
     * A truncation racing the file's last release: it pins the file for the call (ftruncate's
     * reference on its struct file), so its zeroing of the partial page never writes a frame the
     * release freed meanwhile (found by review; a race of timing: the long profile).
     */
    @org.junit.jupiter.api.Tag("long")
    @Test
    void aTruncationRacingTheLastReleaseWritesNoFreedFrame() throws Exception {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(64).cpus(1).build();
        String bad = null;
        for (int round = 0; round < 20000 && bad == null; round++) {
            final FileObject f = new FileObject("u", 2 * Mman.PAGE_SIZE, m.frames());
            final long page = f.getPage(1, null);
            m.frames().put(page);
            final java.util.concurrent.atomic.AtomicLong r = new java.util.concurrent.atomic.AtomicLong(1);
            final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
            final Thread t = new Thread(() -> {
                started.set(true);
                r.set(f.truncate(Mman.PAGE_SIZE + 8));
            });
            t.start();
            while (!started.get()) {
                Thread.onSpinWait();
            }
            for (int spin = (round * 37) % 3000; spin > 0; spin--) {
                Thread.onSpinWait();
            }
            f.close(); // the last reference: the cache's pages go
            t.join();
            if (m.frames().refcount(page) == 0) {
                for (int w = 0; w < 512; w++) {
                    final long x = m.memory().getAcquire(page, w);
                    if (x != dev.specfault.pmap.phys.FrameAllocator.POISON) {
                        bad = "round " + round + ": free frame " + page + " word " + w + " = " + Long.toHexString(x)
                                + " (truncate returned " + r.get() + ")";
                        break;
                    }
                }
            }
        }
        assertEquals(null, bad);
    }

    /**
     * pread and pwrite out of frames: ENOMEM after reclaim freed nothing (before, pread said EOF and
     * pwrite left the file extended), the call again while reclaim frees a frame; a failed pwrite
     * past the end leaves the size as it was.
     */
    @Test
    void preadAndPwriteReclaimThenFailWithEnomem() {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(16).cpus(1).build();
        final FileObject f = new FileObject("f", 2 * Mman.PAGE_SIZE, 4 * Mman.PAGE_SIZE, m.frames(), java.util.Set.of());
        final java.util.ArrayDeque<Long> held = new java.util.ArrayDeque<>();
        for (long fr; (fr = m.frames().alloc(null, dev.specfault.pmap.phys.FrameAllocator.DATA, true))
                != dev.specfault.pmap.phys.FrameAllocator.OOM;) {
            held.push(fr);
        }
        final long[] w = new long[1];
        assertEquals(-Errno.EINVAL, f.pread(-8, w, () -> false));
        assertEquals(-Errno.ENOMEM, f.pread(8, w, () -> false), "a miss with no frame");
        assertThrows(IllegalStateException.class, () -> f.pread(8));
        assertEquals(-Errno.ENOMEM, f.pwrite(2 * Mman.PAGE_SIZE, 5, () -> false));
        assertEquals(2 * Mman.PAGE_SIZE, f.size(), "a failed write past the end does not extend the file");
        assertEquals(2, f.pageCount());
        final java.util.function.BooleanSupplier reclaim = () -> {
            if (held.isEmpty()) {
                return false;
            }
            m.frames().put(held.pop());
            return true;
        };
        assertEquals(8, f.pread(8, w, reclaim), "reclaim freed a frame: the miss goes on");
        assertEquals(0, w[0]);
        assertEquals(0, f.pwrite(2 * Mman.PAGE_SIZE, 5, reclaim));
        assertEquals(2 * Mman.PAGE_SIZE + 8, f.size());
        assertEquals(8, f.pread(2 * Mman.PAGE_SIZE, w, () -> false));
        assertEquals(5, w[0]);
        assertEquals(0, f.pread(2 * Mman.PAGE_SIZE + 8, w, () -> false), "at the end: 0 bytes");
    }
}
