package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.Cpu;
import java.util.concurrent.Phaser;

/**
 * file_race: the page cache's misses raced. Every faulting thread maps the same file, shared, and
 * stores to every page of it at once with the others: rounds begin together (a phaser), and the last
 * thread to arrive replaces the file by a new, empty one, so that every page's first touch in a round
 * is a miss that the other threads' faults race (page_fault3's threads each have a part of the file
 * of their own, and after the first round every page is cached: no two faults ever miss one page).
 * Linux's page cache inserts a new page under the xarray's lock and fails with -EEXIST when another
 * got there first; the emulator's inserts by compare-and-set and takes the winner's page.
 *
 * <h2>What is checked (P4)</h2>
 * Thread t stores a tagged value to word t of every page (read back at once through its mapping),
 * on even rounds an odd thread reading word t of the next page by pread first (0: nothing stored
 * there yet; a pread miss that races the even threads' fault misses), then reads word t of every
 * page of the file by pread: a store through a shared mapping is the file's. Two faults that each installed a page of their own for one offset (the seeded bug
 * page-cache-unchecked-insert) leave one of them with a page the file no longer has: its stores are
 * missing from pread, and the replaced page's cache reference leaks (P6 at the end of the cell).
 */
final class FileRace {
    private FileRace() {
    }

    /**
     * The current file and the phaser the rounds meet at.
     * <pre>
     * Who protects what:
     *   [ph] replaced only in the phaser's onAdvance (every party has arrived, after its munmap, or
     *        left: nobody maps the file), read by the parties after the advance (the phaser orders it)
     *   [I]  immutable
     * </pre>
     */
    static final class State {
        final Phaser phaser; // [I]
        FileObject file; // [ph]
        final long bytes; // [I]

        State(WorkloadContext ctx) {
            bytes = ctx.bytes();
            file = ctx.file().like("file_race");
            phaser = new Phaser(ctx.threads()) {
                @Override
                protected boolean onAdvance(int phase, int registered) {
                    // Every thread arrived (after its munmap): a new, empty file for the next round,
                    // unless every thread has left. The old file's creator reference goes; the
                    // speculative design's records drop theirs after a grace period.
                    final FileObject old = file;
                    if (registered > 0) {
                        file = old.like("file_race");
                    }
                    old.close();
                    return registered == 0;
                }
            };
        }
    }

    static State state(WorkloadContext ctx) {
        return (State) ctx.state();
    }

    static long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round) {
        final State st = state(ctx);
        // Every thread meets here (one that stops leaves the phaser: the others do not wait for it;
        // one stuck in a fault holds the others here too, and the cell's watchdog calls it a hang).
        st.phaser.arriveAndAwaitAdvance();
        final AddressSpace space = ctx.space();
        final long bytes = st.bytes;
        final FileObject f = st.file; // not replaced before this thread arrives again
        final long a = space.mmap(0, bytes, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED, f, 0);
        if (Errno.isError(a)) {
            ctx.violation("mmap of the shared file failed: " + Errno.format(a));
            return 0;
        }
        final long word = 8L * (thread % (Mman.PAGE_SIZE / 8));
        long pages = 0;
        // On even rounds the odd threads read each next page by pread before their fault there: a
        // page-cache miss of pread (no lock, in either design) that races the even threads' fault
        // misses (the locked design's page-ins hold the object lock, so only pread races them there).
        // On odd rounds no thread does: fault misses race fault misses (the speculative design's
        // lock-free insertion from two faults).
        final boolean preadAhead = (round & 1) == 0 && (thread & 1) == 1;
        for (long off = 0; off < bytes; off += Mman.PAGE_SIZE) {
            if (preadAhead && off + Mman.PAGE_SIZE < bytes) {
                // This thread's word of a page of this round's file is 0 until it stores to it.
                final long ahead = f.readWord(off + Mman.PAGE_SIZE + word, space::reclaim);
                if (ahead != 0) {
                    ctx.violation("P4: pread of page " + (off / Mman.PAGE_SIZE + 1) + " of a new shared file read "
                            + Long.toHexString(ahead) + " before thread " + thread + " stored to it");
                    break;
                }
            }
            if (!Touch.storeAndCheck(ctx, space, cpu, a + off + word, Touch.tag(thread, round, a + off))) {
                break;
            }
            pages++;
            if ((pages & 63) == 0 && ctx.timeUp()) {
                break;
            }
        }
        for (long i = 0; i < pages; i++) {
            final long v = f.readWord(i * Mman.PAGE_SIZE + word, space::reclaim);
            final long want = Touch.tag(thread, round, a + i * Mman.PAGE_SIZE);
            if (v != want) {
                ctx.violation("P4: pread of page " + i + " of the shared file read " + Long.toHexString(v)
                        + ", the store through the mapping was " + Long.toHexString(want) + " (thread " + thread
                        + "): the mapping's page is not the file's");
                break;
            }
        }
        final long u = space.munmap(a, bytes);
        if (u != 0) {
            ctx.violation("munmap of the shared file failed: " + Errno.format(u));
        }
        return pages;
    }

    /**
     * A faulting thread stops: the others no longer wait for it. The last one to leave ends the
     * phaser, whose last advance closes the last file.
     */
    static void leave(WorkloadContext ctx, int thread) {
        final Phaser p = state(ctx).phaser;
        if (thread < ctx.threads() && !p.isTerminated()) {
            p.arriveAndDeregister();
        }
    }
}
