package dev.specfault.pmap.phys;

/**
 * A per-CPU cache of free frames (Linux's per-CPU page list): owned by the thread the CPU is bound
 * to, so it needs no atomics; it refills from and gives back to the allocator's global stack in
 * batches of {@link FrameAllocator#BATCH}.
 *
 * <pre>
 * Locks used to protect members:
 *   [c] owned by one thread at a time (the emulated CPU's); handed over with the CPU's binding
 * </pre>
 */
public final class FrameCache {
    private final int[] frames = new int[FrameAllocator.CACHE_CAPACITY]; // [c]
    private int count;                                                   // [c]

    /** A frame from the cache, refilled from the global stack if empty; 0 if none is left anywhere. */
    int pop(FrameAllocator a) {
        if (count == 0) {
            count = a.refill(frames, 0, FrameAllocator.BATCH);
            if (count == 0) {
                return 0;
            }
        }
        return frames[--count];
    }

    /** Keeps a freed frame; gives a batch back when full. */
    void push(FrameAllocator a, int frame) {
        if (count == frames.length) {
            a.giveBack(frames, count - FrameAllocator.BATCH, FrameAllocator.BATCH);
            count -= FrameAllocator.BATCH;
        }
        frames[count++] = frame;
    }

    /** Gives every cached frame back (a CPU going away, or a checker that wants all frames home). */
    public void drain(FrameAllocator a) {
        if (count > 0) {
            a.giveBack(frames, 0, count);
            count = 0;
        }
    }

    /** Frames held now. */
    public int size() {
        return count;
    }
}
