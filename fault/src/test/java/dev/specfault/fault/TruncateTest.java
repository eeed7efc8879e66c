package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ftruncate of a mapped file ({@link FileObject#truncate}): the answers of this machine's kernel
 * (docs/linux/truncate.c and its output, a memfd on 6.18), and races of a fault with a truncation,
 * one paused by a hook at the step where the other must be noticed.
 */
class TruncateTest extends LayoutSpaceTest {
    private static final long W = P / 8;
    private static final long S = 0x20000000L;
    private static final long Q = 0x30000000L;

    private FileObject file(long size, long capacity) {
        return new FileObject("t", size, capacity, machine.frames(), Set.of());
    }

    private long mapFile(AddressSpace s, long at, long pages, int flags, FileObject f) {
        final long r = s.mmap(at, pages * P, RW, flags | MAP_FIXED, f, 0);
        assertEquals(at, r, () -> Errno.format(r));
        return r;
    }

    /** A load that must get SIGBUS. */
    private void bus(AddressSpace s, long va) {
        assertEquals(AccessResult.SIGBUS, s.load(cpu, va), () -> "load 0x" + Long.toHexString(va));
    }

    /** A hook that holds the first fault reaching {@code point} at {@code target} until {@code go}, after counting {@code paused} down. */
    private static FaultHooks pause(FaultHooks.Point point, long target, CountDownLatch paused, CountDownLatch go) {
        return (pt, sp, va) -> {
            if (pt == point && va == target && paused.getCount() > 0) {
                paused.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    /** A space on a new two-CPU machine, CPU 0 bound to the test's thread, with {@code hooks}. */
    private AddressSpace hooked(Design d, Arch arch, FaultHooks hooks, GracePeriodDriver driver) {
        return hooked(d, arch, hooks, driver, Set.of());
    }

    /** {@link #hooked(Design, Arch, FaultHooks, GracePeriodDriver)} with the seeded bugs {@code bugs}. */
    private AddressSpace hooked(Design d, Arch arch, FaultHooks hooks, GracePeriodDriver driver, Set<FaultBug> bugs) {
        machine = Machine.builder(arch).frameLimit(4096).cpus(2).build();
        cpu = machine.cpu(0);
        cpu.bind();
        return Spaces.create(new SpaceOptions(d, machine).name("t").hooks(hooks).bugs(bugs)
                .config(SpaceConfig.defaults(arch).withInitialStack(false)).driver(driver));
    }

    /** A load (or a store of 5) at {@code va} from CPU 1, on {@code ex}'s thread. */
    private Future<Integer> accessFromCpu1(ExecutorService ex, AddressSpace s, long va, boolean store) {
        return ex.submit(() -> {
            final Cpu c1 = machine.cpu(1);
            c1.bind();
            try {
                return store ? s.store(c1, va, 5) : s.load(c1, va);
            } finally {
                c1.unbind();
            }
        });
    }

    /** docs/linux/truncate.c, line by line: its output (truncate.out) is in the messages. */
    @ParameterizedTest
    @MethodSource("spaces")
    void theKernelsAnswers(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final long baseline = machine.frames().inUse();
        final FileObject f = file(2 * P + 100, 4 * P);
        mapFile(s, S, 4, MAP_SHARED, f);
        mapFile(s, Q, 4, MAP_PRIVATE, f);
        store(s, S, 1);
        store(s, S + P, 2);
        store(s, S + P + 8, 5);
        store(s, S + 2 * P, 3);
        store(s, S + 2 * P + 400, 4);
        store(s, Q + P, 22);
        assertEquals(4, load(s, S + 2 * P + 400), "s 2P+400");
        bus(s, S + 3 * P); // past the end from the start
        assertEquals(0, f.truncate(P + 8));
        assertEquals(2, load(s, S + P), "shrunk P+8: s P");
        assertEquals(0, load(s, S + P + 8), "s P+8: the partial page's tail zeroed");
        assertEquals(22, load(s, Q + P), "p P: a private copy within the end stays");
        assertEquals(5, load(s, Q + P + 8), "p P+8: copied before, not zeroed");
        bus(s, S + 2 * P);
        bus(s, Q + 2 * P);
        assertEquals(List.of(), s.checkQuiet());
        assertEquals(-1, f.cachedFrame(2), "the page past the end left the cache");
        assertEquals(0, f.truncate(3 * P));
        assertEquals(0, load(s, S + P + 8), "grown 3P: s P+8");
        assertEquals(0, load(s, S + 2 * P), "s 2P");
        assertEquals(0, load(s, S + 2 * P + 400), "s 2P+400");
        assertEquals(22, load(s, Q + P), "p P");
        assertEquals(0, load(s, Q + 2 * P), "p 2P");
        assertEquals(0, f.truncate(100));
        store(s, S + 800, 77); // past the end, within its page
        assertEquals(0, f.truncate(P));
        assertEquals(77, load(s, S + 800), "written past the end in the last page, then grown: kept (shmem)");
        assertEquals(List.of(), s.checkQuiet());
        assertEquals(0, s.munmap(S, 4 * P));
        assertEquals(0, s.munmap(Q, 4 * P));
        f.close();
        s.exit();
        s.quiesce();
        assertTrue(machine.frames().inUse() <= baseline, () -> "frames left: " + (machine.frames().inUse() - baseline));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void badLengths(Design d, Arch arch) {
        space(d, arch);
        final FileObject f = file(P, 2 * P);
        assertEquals(-Errno.EINVAL, f.truncate(-1));
        assertEquals(-Errno.EFBIG, f.truncate(2 * P + 1));
        assertEquals(0, f.truncate(2 * P));
        assertEquals(2 * P, f.size());
        final FileObject vdso = new FileObject("[vdso]", P, machine.frames(), FileObject.Kind.SPECIAL);
        assertEquals(-Errno.EINVAL, vdso.truncate(0));
        f.close();
        vdso.close();
    }

    /**
     * A fork's child shares its parent's private copy (the locked design: one anon, two arefs;
     * the speculative: one frame, two PTEs) and its shared pages: a truncation zaps both spaces,
     * and a child that exited is no longer asked.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aForkedChildIsZappedToo(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = file(4 * P, 4 * P);
        mapFile(s, S, 4, MAP_SHARED, f);
        mapFile(s, Q, 4, MAP_PRIVATE, f);
        store(s, S + 3 * P, 9);
        store(s, Q + 3 * P, 8);
        final AddressSpace c = s.fork();
        assertNotNull(c);
        final AddressSpace gone = s.fork();
        gone.exit();
        assertEquals(0, f.truncate(2 * P));
        bus(s, Q + 3 * P);
        bus(s, S + 3 * P);
        bus(c, Q + 3 * P);
        bus(c, S + 3 * P);
        assertEquals(List.of(), s.checkQuiet());
        assertEquals(List.of(), c.checkQuiet());
        c.exit();
        s.exit();
        f.close();
    }

    /**
     * A fault paused while a truncation takes its page away. The speculative design's, with its
     * page prepared (a shared page, or a private copy), before the PTL: the truncation does not wait
     * for it, and its validation must notice (the zap made the area's write sequence odd), so that
     * it starts again and gets SIGBUS. The locked design's private write, with its amap locked and
     * the map lock held: the truncation's zap waits for it, and it sees the new size first. Either
     * way nothing is mapped past the end afterwards.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aFaultPausedWithItsPageWhileTheFileShrinks(Design d, Arch arch) throws Exception {
        final boolean locked = d != Design.SPECULATIVE;
        for (int flags : locked ? new int[] {MAP_PRIVATE} : new int[] {MAP_SHARED, MAP_PRIVATE}) {
            final List<String> broken = pausedFaultWhileTheFileShrinks(d, arch, flags, Set.of());
            assertEquals(List.of(), broken);
        }
    }

    /**
     * The seeded bug truncate-without-write-seq: the speculative fault paused above validates after
     * the zap and installs its page past the new end (the page the cache no longer has, or the
     * private copy of it), and checkQuiet says so.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void truncateWithoutWriteSeqIsCaught(Design d, Arch arch) throws Exception {
        if (d != Design.SPECULATIVE) {
            return;
        }
        for (int flags : new int[] {MAP_SHARED, MAP_PRIVATE}) {
            final List<String> broken = pausedFaultWhileTheFileShrinks(d, arch, flags,
                    Set.of(FaultBug.TRUNCATE_WITHOUT_WRITE_SEQ));
            assertTrue(broken.stream().anyMatch(l -> l.startsWith("the fault returned OK")), broken::toString);
            assertTrue(broken.stream().anyMatch(l -> l.contains("past the end of")), broken::toString);
        }
    }

    /**
     * The paused fault of {@link #aFaultPausedWithItsPageWhileTheFileShrinks} with {@code bugs}:
     * what went wrong (the fault's result unless SIGBUS, a later load's unless SIGBUS, checkQuiet's
     * lines), empty if nothing.
     */
    private List<String> pausedFaultWhileTheFileShrinks(Design d, Arch arch, int flags, Set<FaultBug> bugs)
            throws Exception {
        final boolean locked = d != Design.SPECULATIVE;
        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        final long target = S + 3 * P;
        final AddressSpace s = hooked(d, arch, pause(locked ? FaultHooks.Point.LOCKED_AMAP_LOCKED
                : FaultHooks.Point.FAULT_BEFORE_PTL, target, paused, go), GracePeriodDriver.inline(), bugs);
        final FileObject f = file(4 * P, 4 * P);
        mapFile(s, S, 4, flags, f);
        store(s, S, 1); // the locked design's private mapping: its amap (the hook's point needs one)
        final long resident = f.getPage(3, null); // the locked fault keeps the map lock (no page-in)
        machine.frames().put(resident);
        final List<String> broken = new ArrayList<>();
        final ExecutorService ex = Executors.newFixedThreadPool(2);
        try {
            final Future<Integer> fault = accessFromCpu1(ex, s, target, flags == MAP_PRIVATE);
            assertTrue(paused.await(10, TimeUnit.SECONDS), "the fault reached its pause");
            final Future<Long> trunc = ex.submit(() -> f.truncate(2 * P));
            if (locked) {
                Thread.sleep(50);
                assertTrue(!trunc.isDone(), "the zap waits for the map lock the fault holds");
            } else {
                assertEquals(0, trunc.get(10, TimeUnit.SECONDS), "the zap does not wait for a speculative fault");
            }
            go.countDown();
            final int r = fault.get(10, TimeUnit.SECONDS);
            assertEquals(0, trunc.get(10, TimeUnit.SECONDS));
            if (r != AccessResult.SIGBUS) {
                broken.add("the fault returned " + AccessResult.name(r));
            }
            final int later = s.load(cpu, target);
            if (later != AccessResult.SIGBUS) {
                broken.add("a later load returned " + AccessResult.name(later));
            }
            broken.addAll(s.checkQuiet());
        } finally {
            go.countDown();
            ex.shutdownNow();
            cpu.unbind();
        }
        s.exit();
        f.close();
        return broken;
    }

    /**
     * The locked design's page-in: the fault drops the map lock to read the page in; the file
     * shrinks meanwhile, before the page is read in (getPage says SIGBUS) or after (the relock sees
     * a changed map and starts again). Either way SIGBUS, nothing mapped.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aLockedPageInWhileTheFileShrinks(Design d, Arch arch) {
        if (d == Design.SPECULATIVE) {
            return; // no page-in with the map unlocked: the race above is its
        }
        for (FaultHooks.Point at : new FaultHooks.Point[] {FaultHooks.Point.LOCKED_LOWER_IO,
            FaultHooks.Point.LOCKED_LOWER_IO_DONE}) {
            assertEquals(List.of(), pageInRacing(d, arch, at, false, Set.of()), at::toString);
        }
        assertEquals(List.of(), pageInRacing(d, arch, FaultHooks.Point.LOCKED_LOWER_IO_DONE, true, Set.of()));
    }

    /**
     * The seeded bug relock-without-timestamp: a truncation after the page-in got its page, and the
     * fault installs it past the new end; a munmap there, and it installs into the hole (P1).
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void relockWithoutTimestampIsCaught(Design d, Arch arch) {
        if (d == Design.SPECULATIVE) {
            return;
        }
        final Set<FaultBug> bug = Set.of(FaultBug.RELOCK_WITHOUT_TIMESTAMP);
        final List<String> truncated = pageInRacing(d, arch, FaultHooks.Point.LOCKED_LOWER_IO_DONE, false, bug);
        assertTrue(truncated.stream().anyMatch(l -> l.contains("past the end of")), truncated::toString);
        final List<String> unmapped = pageInRacing(d, arch, FaultHooks.Point.LOCKED_LOWER_IO_DONE, true, bug);
        assertTrue(unmapped.stream().anyMatch(l -> l.startsWith("P1")), unmapped::toString);
        // Before the page-in the bug changes nothing: getPage itself says SIGBUS.
        assertEquals(List.of(), pageInRacing(d, arch, FaultHooks.Point.LOCKED_LOWER_IO, false, bug));
    }

    /**
     * A shared file mapping's locked page-in raced at {@code at} (on the faulting thread, the map
     * unlocked) by a truncation of the faulted page away, or by a munmap of the whole mapping: what
     * went wrong (the fault's result unless SIGBUS (SIGSEGV after the munmap), checkQuiet's lines).
     */
    private List<String> pageInRacing(Design d, Arch arch, FaultHooks.Point at, boolean munmap, Set<FaultBug> bugs) {
        final long target = S + 3 * P;
        final FileObject[] file = new FileObject[1];
        final AddressSpace[] space = new AddressSpace[1];
        final List<Long> raced = new ArrayList<>();
        final FaultHooks hooks = (pt, sp, va) -> {
            if (pt == at && va == target && raced.isEmpty()) {
                raced.add(munmap ? space[0].munmap(S, 4 * P) : file[0].truncate(2 * P));
            }
        };
        final AddressSpace s = hooked(d, arch, hooks, GracePeriodDriver.inline(), bugs);
        space[0] = s;
        file[0] = file(4 * P, 4 * P);
        mapFile(s, S, 4, MAP_SHARED, file[0]);
        final int r = s.load(cpu, target);
        assertEquals(List.of(0L), raced, "the race ran during the page-in");
        final List<String> broken = new ArrayList<>();
        final int want = munmap ? AccessResult.SIGSEGV : AccessResult.SIGBUS;
        if (r != want) {
            broken.add("the fault returned " + AccessResult.name(r));
        }
        broken.addAll(s.checkQuiet());
        s.exit();
        file[0].close();
        return broken;
    }

    /**
     * The seeded bug truncate-shared-only: a private mapping's pages past the new end stay mapped,
     * the page cache's page mapped read-only and a private copy alike.
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void truncateSharedOnlyIsCaught(Design d, Arch arch) {
        for (boolean bug : new boolean[] {false, true}) {
            final AddressSpace s = hooked(d, arch, FaultHooks.NONE, GracePeriodDriver.inline(),
                    bug ? Set.of(FaultBug.TRUNCATE_SHARED_ONLY) : Set.of());
            final FileObject f = file(4 * P, 4 * P);
            mapFile(s, S, 4, MAP_PRIVATE, f);
            mapFile(s, Q, 4, MAP_SHARED, f);
            assertEquals(AccessResult.OK, s.load(cpu, S + 2 * P)); // the page cache's page, read-only
            store(s, S + 3 * P, 7); // a private copy
            store(s, Q + 3 * P, 8);
            assertEquals(0, f.truncate(2 * P));
            bus(s, Q + 3 * P); // the shared mapping is zapped either way
            final List<String> broken = new ArrayList<>();
            for (long va : new long[] {S + 2 * P, S + 3 * P}) {
                final int r = s.load(cpu, va);
                if (r != AccessResult.SIGBUS) {
                    broken.add("load 0x" + Long.toHexString(va) + " returned " + AccessResult.name(r));
                }
            }
            broken.addAll(s.checkQuiet());
            cpu.unbind();
            s.exit();
            f.close();
            if (bug) {
                assertEquals(2, broken.stream().filter(l -> l.startsWith("load")).count(), broken::toString);
                assertTrue(broken.stream().anyMatch(l -> l.contains("past the end of")), broken::toString);
            } else {
                assertEquals(List.of(), broken);
            }
        }
    }

    /**
     * shmem truncates whenever the new size is at most the old one: an ftruncate to the same size
     * zeroes the last page past the end too (docs/linux/truncate.c, its last line; found by review).
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aSameSizeTruncateZeroesTheTail(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final FileObject f = file(100, 2 * P);
        mapFile(s, S, 2, MAP_SHARED, f);
        store(s, S + 800, 77); // past the end, within its page
        assertEquals(0, f.truncate(100));
        assertEquals(0, f.truncate(P));
        assertEquals(0, load(s, S + 800), "zeroed by the same-size ftruncate");
        s.exit();
        f.close();
    }

    /**
     * A space is registered with a file while one of its areas maps it (areas split by mprotect
     * count each), not after: shared anonymous memory and file_race's file a round must not pile up
     * in either (found by review).
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aSpaceIsRegisteredWhileItMapsTheFile(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        for (int i = 0; i < 20; i++) {
            final long a = s.mmap(0, P, RW, MAP_SHARED | Mman.MAP_ANONYMOUS);
            store(s, a, i);
            assertEquals(0, s.munmap(a, P));
            final FileObject f = file(4 * P, 4 * P);
            mapFile(s, S, 4, MAP_SHARED, f);
            assertEquals(0, s.mprotect(S + P, P, Mman.PROT_READ)); // three areas
            assertEquals(1, f.mapperCount());
            assertEquals(0, s.munmap(S, 2 * P));
            assertEquals(1, f.mapperCount(), "two areas left");
            assertEquals(0, s.munmap(S + 2 * P, 2 * P));
            assertEquals(0, f.mapperCount(), "the last area went");
            f.close();
        }
        assertEquals(0, ((AbstractSpace) s).mappedFileCount());
        s.exit();
    }

    /**
     * The speculative design: a fault that found its record without a lock, paused; the area is
     * replaced by anonymous memory, then the file shrinks. The fault's SIGBUS from the file's new
     * size holds only if its record is still live: the address was never mapped past the end, so
     * the fault starts again and succeeds (found by review).
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aSigbusFromAReplacedRecordIsNotGiven(Design d, Arch arch) throws Exception {
        if (d != Design.SPECULATIVE) {
            return; // the locked design's faults hold the map lock
        }
        final long target = S + 3 * P;
        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        final AddressSpace s = hooked(d, arch, pause(FaultHooks.Point.FAULT_AFTER_LOOKUP, target, paused, go),
                GracePeriodDriver.inlineDeferring());
        final FileObject f = file(4 * P, 4 * P);
        mapFile(s, S, 4, MAP_SHARED, f);
        store(s, S, 1); // the leaf table exists: the fault stays speculative
        final ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            final Future<Integer> fault = accessFromCpu1(ex, s, target, false);
            assertTrue(paused.await(10, TimeUnit.SECONDS));
            assertEquals(S, s.mmap(S, 4 * P, RW, MAP_PRIVATE | Mman.MAP_ANONYMOUS | MAP_FIXED));
            assertEquals(0, f.truncate(2 * P));
            go.countDown();
            final int r = fault.get(10, TimeUnit.SECONDS);
            assertEquals(AccessResult.OK, r, AccessResult.name(r));
        } finally {
            go.countDown();
            ex.shutdownNow();
        }
        s.exit();
        f.close();
    }

    /**
     * The word across a new end that is not 8-aligned keeps its bytes below the end: a store through
     * a mapping racing the truncation's zeroing must not be undone (found by review; a race of
     * timing: the long profile).
     */
    @org.junit.jupiter.api.Tag("long")
    @ParameterizedTest
    @MethodSource("spaces")
    void theZeroingOfAPartialWordKeepsARacingStore(Design d, Arch arch) throws Exception {
        final AddressSpace s = space(d, arch);
        final FileObject f = file(2 * P, 2 * P);
        mapFile(s, S, 2, MAP_SHARED, f);
        store(s, S + P, 0);
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread t = new Thread(() -> {
            while (!stop.get()) {
                f.truncate(P + 4); // keeps bytes P..P+3 of word 0 of page 1
                f.truncate(2 * P);
            }
        });
        t.start();
        String lost = null;
        final long until = System.nanoTime() + 8_000_000_000L;
        try {
            for (long v = 1; lost == null && System.nanoTime() < until; v++) {
                final long val = (v << 32) | (v & 0xffffffffL);
                store(s, S + P, val);
                final long got = load(s, S + P);
                if ((got & 0xffffffffL) != (val & 0xffffffffL)) {
                    lost = "stored " + Long.toHexString(val) + ", read back " + Long.toHexString(got);
                }
            }
        } finally {
            stop.set(true);
            t.join();
        }
        s.exit();
        f.close();
        assertEquals(null, lost);
    }
}
