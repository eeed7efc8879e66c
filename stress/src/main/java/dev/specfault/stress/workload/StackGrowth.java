package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.List;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicReference;

/**
 * stack_growth: every faulting thread grows stacks page by page, in two ways each round.
 *
 * <h2>A thread stack of its own</h2>
 * It reserves its region ({@code PROT_NONE}), maps a one-page {@code MAP_GROWSDOWN} area at the
 * region's top and frees the room below it down to one page past RLIMIT_STACK, which the cell sets
 * to half the region; the rest of the reservation stays, a fence below the stack. Then it stores
 * downward page by page: each store below the area grows it (Linux expand_downwards; UVM's
 * uvm_grow), up to RLIMIT_STACK. One page further down must be SIGSEGV (counted as expected; an OK
 * there is a violation). Every page must read back; then the whole reservation is unmapped.
 *
 * <p>The fence keeps the room the stack grows into its own. Without it, another thread's
 * reservation could be placed in that room (an {@code mmap} keeps only the stack guard gap, 256
 * pages, below a {@code MAP_GROWSDOWN} area's current start), and the stack would grow up to it or
 * walk into its pages — correct behaviour of the kernel, a false alarm of the workload. An
 * inaccessible mapping below a stack does not count for the guard gap (Linux
 * {@code vma_is_accessible}), so the stack can grow right down to the fence.
 *
 * <h2>The main stack of a shared space, grown by all at once</h2>
 * An "epoch" space (a fresh space like the cell's, with its execve stack) is shared by the
 * faulting threads: each stores to its own depths below the initial stack (thread t to depths
 * t, t+n, t+2n, ... for {@link #EPOCH_PAGES} pages each), so they grow the one main stack
 * concurrently. When all have grown it (a phaser), each reads back every page it stored, after
 * the others' growths (a growth that lost another thread's page shows there); when all have read,
 * the last one checks the epoch space quiet (P0/P1 and the locked design's vm_ssize accounting: a
 * lost update of the stack size shows there if it was the last growth), exits it and makes the
 * next one. The phaser's even phases end the growths, its odd ones the read-backs. Epochs are short, and
 * {@link #EPOCHS_PER_ROUND} of them run per round, because the race that matters is the last
 * growth of each.
 */
final class StackGrowth {
    /** Pages each thread grows the shared main stack by, per epoch. */
    static final int EPOCH_PAGES = 2;
    /** Epochs of the shared main stack per round. */
    static final int EPOCHS_PER_ROUND = 16;

    /**
     * The shared epoch space and the phaser the faulting threads meet at.
     * <pre>
     * Who protects what:
     *   [ph] replaced only in the phaser's onAdvance (every party has arrived or left: nobody
     *        touches the space), read by the parties after the advance (the phaser orders it)
     *   [I]  immutable
     * </pre>
     */
    static final class State {
        final AtomicReference<AddressSpace> epoch = new AtomicReference<>(); // [ph]
        final Phaser phaser;                                                  // [I]

        State(WorkloadContext ctx) {
            epoch.set(ctx.spawn());
            phaser = new Phaser(ctx.threads()) {
                @Override
                protected boolean onAdvance(int phase, int parties) {
                    final AddressSpace s = epoch.get();
                    if (phase % 2 == 0 && parties > 0) {
                        return false; // the growths are done: the read-backs come next, in the same space
                    }
                    if (s != null) {
                        final List<String> v = s.checkQuiet();
                        if (!v.isEmpty()) {
                            ctx.violation(v.get(0) + " (the shared stack after " + (phase / 2 + 1) + " epochs)");
                        }
                        s.exit();
                        s.quiesce();
                        ctx.exit();
                        epoch.set(parties == 0 ? null : ctx.spawn());
                    }
                    return parties == 0;
                }
            };
        }
    }

    private StackGrowth() {
    }

    /** The cell's RLIMIT_STACK: half of each thread's region. */
    static SpaceConfig config(SpaceConfig base, long bytes) {
        return base.withRlimitStack(Math.max(4 * Mman.PAGE_SIZE, (bytes / 2) & Mman.PAGE_MASK));
    }

    static long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round) {
        final long pages = ownStack(ctx, cpu, thread, round);
        if (pages < 0) {
            return 0;
        }
        long shared = 0;
        for (int e = 0; e < EPOCHS_PER_ROUND; e++) {
            shared += sharedStack(ctx, cpu, thread, round * EPOCHS_PER_ROUND + e);
        }
        return pages + shared;
    }

    /** Grows a GROWSDOWN area of its own to the limit; -1 after a violation. */
    private static long ownStack(WorkloadContext ctx, Cpu cpu, int thread, long round) {
        final AddressSpace s = ctx.space();
        final long bytes = ctx.bytes();
        final long limit = s.config().rlimitStack();
        final long a = s.mmap(0, bytes, Mman.PROT_NONE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        if (Errno.isError(a)) {
            ctx.violation("mmap of a stack reservation failed: " + Errno.format(a));
            return -1;
        }
        final long top = a + bytes;
        final long g = s.mmap(top - Mman.PAGE_SIZE, Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED | Mman.MAP_GROWSDOWN);
        if (g != top - Mman.PAGE_SIZE) {
            ctx.violation("mmap of a GROWSDOWN page returned " + Errno.format(g));
            s.munmap(a, bytes);
            return -1;
        }
        final long room = top - limit - Mman.PAGE_SIZE;
        final long u = s.munmap(room, limit);
        if (u != 0) {
            ctx.violation("munmap below a GROWSDOWN page failed: " + Errno.format(u));
            s.munmap(a, bytes);
            return -1;
        }
        long pages = 0;
        try {
            for (long va = top - Mman.PAGE_SIZE; va >= top - limit; va -= Mman.PAGE_SIZE) {
                if (!Touch.storeAndCheck(ctx, s, cpu, va, Touch.tag(thread, round, va))) {
                    return -1;
                }
                pages++;
            }
            final int r = s.store(cpu, top - limit - Mman.PAGE_SIZE, 1);
            if (r == AccessResult.SIGSEGV) {
                ctx.sigsegv(); // past RLIMIT_STACK: expected
            } else {
                ctx.violation("a stack grew past RLIMIT_STACK (" + (limit >> 10) + " KiB): a store at "
                        + Touch.hex(top - limit - Mman.PAGE_SIZE) + " returned " + AccessResult.name(r));
                return -1;
            }
            for (long va = top - Mman.PAGE_SIZE; va >= top - limit; va -= Mman.PAGE_SIZE) {
                // every page (was every 16th: a growth that lost pages in between went unseen)
                if (!Touch.expect(ctx, s, cpu, va, Touch.tag(thread, round, va), "a grown stack page")) {
                    return -1;
                }
            }
        } finally {
            final long uu = s.munmap(a, bytes);
            if (uu != 0) {
                ctx.violation("munmap of a grown stack failed: " + Errno.format(uu));
            }
        }
        return pages;
    }

    /** Grows the epoch space's main stack together with the other faulting threads. */
    private static long sharedStack(WorkloadContext ctx, Cpu cpu, int thread, long round) {
        final State st = (State) ctx.state();
        final AddressSpace s = st.epoch.get();
        long pages = 0;
        if (s != null) {
            final long top = s.config().stackTop();
            final long low = top - SpaceConfig.INITIAL_STACK;
            final int n = ctx.threads();
            final long depth = Math.min((long) EPOCH_PAGES * n,
                    (s.config().rlimitStack() - SpaceConfig.INITIAL_STACK) / Mman.PAGE_SIZE);
            for (long i = thread; i < depth; i += n) {
                final long va = low - (i + 1) * Mman.PAGE_SIZE;
                if (!Touch.storeAndCheck(ctx, s, cpu, va, Touch.tag(thread, round, va))) {
                    break;
                }
                pages++;
            }
            if (thread == 0 && round % EPOCHS_PER_ROUND == 0) {
                final int r = s.store(cpu, top - s.config().rlimitStack() - Mman.PAGE_SIZE, 1);
                if (r == AccessResult.SIGSEGV) {
                    ctx.sigsegv();
                } else {
                    ctx.violation("the main stack grew past RLIMIT_STACK: " + AccessResult.name(r));
                }
            }
        }
        st.phaser.arriveAndAwaitAdvance();
        if (s != null) {
            // Every thread's growths are done: each of this thread's pages must still read back.
            final long low = s.config().stackTop() - SpaceConfig.INITIAL_STACK;
            final int n = ctx.threads();
            for (long i = thread, k = 0; k < pages; i += n, k++) {
                final long va = low - (i + 1) * Mman.PAGE_SIZE;
                if (!Touch.expect(ctx, s, cpu, va, Touch.tag(thread, round, va), "after the other threads' growths")) {
                    break;
                }
            }
        }
        st.phaser.arriveAndAwaitAdvance();
        return pages;
    }

    /** A faulting thread leaves (the run's end or a violation): the others stop waiting for it. */
    static void leave(WorkloadContext ctx, int thread) {
        final State st = (State) ctx.state();
        if (thread < ctx.threads() && !st.phaser.isTerminated()) {
            st.phaser.arriveAndDeregister();
        }
    }

    /** After the run: the epoch space still alive goes too. */
    static void finish(WorkloadContext ctx) {
        final State st = (State) ctx.state();
        final AddressSpace s = st.epoch.getAndSet(null);
        if (s != null) {
            s.exit();
            s.quiesce();
            ctx.exit();
        }
    }
}
