package dev.specfault.pmap.phys;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jctools.util.PaddedAtomicLong;

/**
 * The frame allocator: hands out 4 KiB frames of {@link PhysicalMemory}, keeps a reference count and
 * a map count per frame (Linux's {@code struct page} refcount and mapcount, in a memmap array), and
 * refuses to exceed a configurable limit, so that out-of-memory is a real, testable result.
 *
 * <h2>Idea</h2>
 * <pre>
 *        alloc ─▶ per-CPU cache (FrameCache, owner thread only, no atomics)
 *                     │ empty: refill BATCH            ▲ full: give back BATCH
 *                     ▼                                │
 *              global free stack (monitor) ◀── free / freeBatch from any thread
 * </pre>
 * After Linux's per-CPU page lists: the fast path touches only the calling CPU's cache, the
 * frame's own memmap words, and one shared word: the limit counts frames <em>in use</em> (handed
 * out, not cached) with one atomic counter, so OOM is exact and deterministic: {@code alloc}
 * fails iff {@code inUse == limit}. Physical memory is sized with
 * slack for the caches (see {@link #framesNeeded}), so a cache can never starve the global stack
 * while frames below the limit remain.
 *
 * <h2>Reference counts</h2>
 * A frame is handed out with refcount 1. {@link #get} adds a reference the caller already backs;
 * {@link #getUnlessZero} pins a frame read from a PTE outside its lock (the gup-fast pattern: the
 * caller must re-read the PTE afterwards, because the frame may have been freed and reused between
 * the read and the pin); {@link #put} drops one and frees the frame at zero. The map count says how
 * many PTEs map it; P0 checks use {@link #isFree}.
 *
 * <h2>Page flags</h2>
 * A word of flags per frame, as {@code struct page}'s: {@link #PG_LAZYFREE} (MADV_FREE marked the
 * page: reclaim may discard it unless it is written again; Linux's lazy-free folio, a clear
 * {@code PG_swapbacked}) and {@link #PG_DIRTY} (the page's own dirty flag: reclaim found it
 * written and kept it). A new frame has none. They are set and cleared under the PTL (or pmap
 * lock) of an entry that maps the frame, and read anywhere.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after construction
 *   [a] atomic (AtomicIntegerArray / atomic counters)
 *   [f] the free-stack monitor (freeLock)
 * </pre>
 */
public final class FrameAllocator {
    /** alloc() result when no frame is available under the limit. */
    public static final long OOM = -1;

    /** Frame kinds in the memmap. */
    public static final int FREE = 0;
    public static final int DATA = 1;
    public static final int TABLE = 2;
    public static final int RESERVED = 3;

    /** Page flag: lazy-free (MADV_FREE), reclaim may discard the page if it is still clean. */
    public static final int PG_LAZYFREE = 1;
    /** Page flag: the page is dirty (Linux PG_dirty), whatever its entries say. */
    public static final int PG_DIRTY = 2;

    /** Frames a cache takes from or gives back to the global stack at once. */
    public static final int BATCH = 32;
    /** Most frames a cache holds. */
    public static final int CACHE_CAPACITY = 2 * BATCH;

    /**
     * Pattern written into freed frames when poisoning is on (P0/P4/P7 make a stale read visible):
     * Linux's PAGE_POISON byte, 0xaa, in every byte — a repeated byte, so poisoning is one memset.
     */
    public static final long POISON = 0xaaaa_aaaa_aaaa_aaaaL;

    private final PhysicalMemory memory;          // [I]
    private final long limit;                     // [I]
    private final boolean poisonOnFree;           // [I]
    private final AtomicIntegerArray refs;        // [a]
    private final AtomicIntegerArray maps;        // [a]
    private final AtomicIntegerArray kinds;       // [a]
    private final AtomicIntegerArray pageFlags;   // [a] written under the PTL of an entry mapping the frame
    private final Object freeLock = new Object();   // [I] the monitor of [f]
    private final int[] freeStack;                // [f]
    private int freeTop;                          // [f]
    private final PaddedAtomicLong inUse = new PaddedAtomicLong(); // [a]
    private final AtomicLong peak = new AtomicLong();              // [a]
    // Striped: every alloc and free counts, on every CPU; one shared word would be a second (and
    // third) contended atomic beside inUse on the fast path.
    private final LongAdder allocated = new LongAdder();           // [a]
    private final LongAdder freed = new LongAdder();               // [a]
    private final AtomicLong ooms = new AtomicLong();              // [a]

    /**
     * Physical frames a machine needs so that {@code limit} frames can be in use while
     * {@code caches} per-CPU caches are full: the limit, the caches' slack and frame 0.
     */
    public static long framesNeeded(long limit, int caches) {
        return limit + (long) caches * CACHE_CAPACITY + 1;
    }

    /**
     * @param limit most frames in use at once; at most {@code memory.frames() - 1}
     */
    public FrameAllocator(PhysicalMemory memory, long limit, boolean poisonOnFree) {
        if (memory.frames() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("at most 2^31-1 frames: " + memory.frames());
        }
        if (limit < 1 || limit > memory.frames() - 1) {
            throw new IllegalArgumentException("frame limit must be 1.." + (memory.frames() - 1) + ": " + limit);
        }
        this.memory = memory;
        this.limit = limit;
        this.poisonOnFree = poisonOnFree;
        final int n = (int) memory.frames();
        this.refs = new AtomicIntegerArray(n);
        this.maps = new AtomicIntegerArray(n);
        this.kinds = new AtomicIntegerArray(n);
        this.pageFlags = new AtomicIntegerArray(n);
        kinds.set(0, RESERVED);
        this.freeStack = new int[n - 1];
        // Low frames first: push the highest first.
        for (int f = n - 1; f >= 1; f--) {
            freeStack[freeTop++] = f;
        }
    }

    public PhysicalMemory memory() {
        return memory;
    }

    /** The most frames in use at once. */
    public long limit() {
        return limit;
    }

    // ------------------------------------------------------------------------------------------
    // Allocation

    /**
     * Allocates a frame of the given kind ({@link #DATA} or {@link #TABLE}) with refcount 1, from
     * {@code cache} if given (the calling thread must own it), zeroed if asked.
     *
     * @return the frame number, or {@link #OOM}
     */
    public long alloc(FrameCache cache, int kind, boolean zero) {
        assert kind == DATA || kind == TABLE : kind;
        final long n = inUse.incrementAndGet();
        if (n > limit) {
            inUse.decrementAndGet();
            ooms.incrementAndGet();
            return OOM;
        }
        if (n > peak.getPlain()) {
            peak.accumulateAndGet(n, Math::max);
        }
        final int f = cache != null ? cache.pop(this) : popGlobal();
        if (f <= 0) {
            // Cannot happen: memory holds limit + caches' capacity frames, and a frame being freed
            // is counted in inUse until it is back on a stack (see release).
            throw new IllegalStateException("no free frame with " + n + " of " + limit + " in use");
        }
        if (zero) {
            memory.zero(f);
        }
        maps.set(f, 0);
        pageFlags.lazySet(f, 0); // published with the refcount below
        kinds.set(f, kind);
        // Release: the frame's contents (zeroed) and kind are visible to whoever sees refcount 1.
        refs.lazySet(f, 1);
        allocated.increment();
        return f;
    }

    /** => [f] not held. One frame from the global stack (0 if empty). */
    private int popGlobal() {
        synchronized (freeLock) {
            return freeTop == 0 ? 0 : freeStack[--freeTop];
        }
    }

    /** Moves up to {@code n} frames from the global stack into {@code into}; returns how many. */
    int refill(int[] into, int at, int n) {
        synchronized (freeLock) {
            final int k = Math.min(n, freeTop);
            System.arraycopy(freeStack, freeTop - k, into, at, k);
            freeTop -= k;
            return k;
        }
    }

    /** Gives {@code n} frames back to the global stack. */
    void giveBack(int[] from, int at, int n) {
        synchronized (freeLock) {
            System.arraycopy(from, at, freeStack, freeTop, n);
            freeTop += n;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reference and map counts

    /** The current reference count (0 = free). */
    public int refcount(long frame) {
        return refs.get((int) frame);
    }

    /** Adds a reference; the caller must already hold one (or the PTL of a PTE mapping it). */
    public void get(long frame) {
        final int r = refs.incrementAndGet((int) frame);
        assert r > 1 : "get() on a free frame " + frame;
    }

    /**
     * Pins a frame read from a PTE without its lock: adds a reference unless the count is zero
     * (the frame is being freed). The caller re-reads the PTE afterwards and drops the pin if the
     * PTE changed: the frame may have been freed and reused in between.
     */
    public boolean getUnlessZero(long frame) {
        final int i = (int) frame;
        for (;;) {
            final int r = refs.get(i);
            if (r == 0) {
                return false;
            }
            if (refs.compareAndSet(i, r, r + 1)) {
                return true;
            }
        }
    }

    /**
     * Drops a reference; frees the frame when it was the last, into {@code cache} if given.
     *
     * @return true if this call freed the frame
     */
    public boolean put(long frame, FrameCache cache) {
        final int r = refs.decrementAndGet((int) frame);
        if (r > 0) {
            return false;
        }
        if (r < 0) {
            throw new IllegalStateException("frame " + frame + " put more often than got");
        }
        release(frame, cache);
        return true;
    }

    /** Drops a reference without a cache. */
    public boolean put(long frame) {
        return put(frame, null);
    }

    private void release(long frame, FrameCache cache) {
        final int f = (int) frame;
        if (maps.get(f) != 0) {
            throw new IllegalStateException("frame " + frame + " freed while mapped " + maps.get(f) + " times");
        }
        if (poisonOnFree) {
            memory.fill(frame, POISON);
        }
        kinds.set(f, FREE);
        freed.increment();
        if (cache != null) {
            cache.push(this, f);
        } else {
            synchronized (freeLock) {
                freeStack[freeTop++] = f;
            }
        }
        // Only now: a frame in transit still counts as in use, so an allocator that got under the
        // limit always finds a frame on a stack or in its cache.
        inUse.decrementAndGet();
    }

    /** One more PTE maps the frame. */
    public void mapInc(long frame) {
        maps.incrementAndGet((int) frame);
    }

    /** One PTE fewer maps the frame; returns the new map count. */
    public int mapDec(long frame) {
        final int m = maps.decrementAndGet((int) frame);
        if (m < 0) {
            throw new IllegalStateException("frame " + frame + " unmapped more often than mapped");
        }
        return m;
    }

    public int mapcount(long frame) {
        return maps.get((int) frame);
    }

    // ------------------------------------------------------------------------------------------
    // Page flags

    /** => the PTL of an entry mapping it. MADV_FREE: lazy-free, and clean (Linux folio_mark_lazyfree, folio_clear_dirty). */
    public void markLazyFree(long frame) {
        pageFlags.set((int) frame, PG_LAZYFREE);
    }

    /** => the PTL of an entry mapping it. Reclaim found it written: no longer lazy-free, dirty (folio_set_swapbacked, folio_mark_dirty). */
    public void markRedirtied(long frame) {
        pageFlags.set((int) frame, PG_DIRTY);
    }

    public boolean isLazyFree(long frame) {
        return (pageFlags.get((int) frame) & PG_LAZYFREE) != 0;
    }

    public boolean isDirty(long frame) {
        return (pageFlags.get((int) frame) & PG_DIRTY) != 0;
    }

    /** FREE, DATA, TABLE or RESERVED. */
    public int kind(long frame) {
        return kinds.get((int) frame);
    }

    /** Whether the frame is free (P0: nothing may refer to it). */
    public boolean isFree(long frame) {
        return frame <= 0 || frame >= memory.frames() || kinds.get((int) frame) == FREE;
    }

    // ------------------------------------------------------------------------------------------
    // Observability

    /** Frames in use now. */
    public long inUse() {
        return inUse.get();
    }

    public FrameStats stats() {
        return new FrameStats(limit, inUse.get(), peak.get(), allocated.sum(), freed.sum(), ooms.get());
    }

    /** Counts frames of a kind by scanning the memmap (checkers, quiet state). */
    public long count(int kind) {
        long n = 0;
        for (int f = 0; f < kinds.length(); f++) {
            if (kinds.get(f) == kind) {
                n++;
            }
        }
        return n;
    }
}
