package dev.specfault.stress.replay;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The traced processes' parent links, for wait4 and waitid: which children a process has, running
 * or dead and not reaped yet (zombies). A process is its thread group, named by its tgid.
 *
 * <p>Linux's rules kept here: a thread is nobody's child; a child whose exit signal is not SIGCHLD
 * (a clone without it) is a "clone" child, waited for only with {@code __WCLONE} or {@code __WALL}
 * ({@code eligible_child}); {@code __WNOTHREAD} limits the wait to the children the calling thread
 * made; a process that dies leaves its children to init (they are nobody's in the trace any more),
 * and a zombie whose parent dies is reaped by init. A process's children are all known only if it
 * was born in the trace, or is the trace's first process and the trace has its execve (strace -f
 * PROG forks it childless).
 *
 * <pre>
 * Locks used to protect members:
 *   [c] owned by the replaying thread
 * </pre>
 */
final class ProcessTree {
    static final int WNOHANG = 0x1;
    static final int WUNTRACED = 0x2;
    static final int WEXITED = 0x4;
    static final int WCONTINUED = 0x8;
    static final int WNOWAIT = 0x01000000;
    static final int WNOTHREAD = 0x20000000;
    static final int WALL = 0x40000000;
    static final int WCLONE = 0x80000000;
    /** wait4's options (kernel_wait4 refuses any other bit with EINVAL). */
    static final int WAIT4_VALID = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL;
    /** waitid's options (kernel_waitid refuses any other bit, and a wait for none of the three events). */
    static final int WAITID_VALID = WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL;

    static final Map<String, Integer> OPTIONS = Map.of("WNOHANG", WNOHANG, "WUNTRACED", WUNTRACED, "WSTOPPED",
            WUNTRACED, "WEXITED", WEXITED, "WCONTINUED", WCONTINUED, "WNOWAIT", WNOWAIT, "__WNOTHREAD", WNOTHREAD,
            "__WALL", WALL, "__WCLONE", WCLONE);

    /** One child process: its parent's tgid, the thread that made it (-1: gone), whether its exit signal is SIGCHLD. */
    static final class Proc {
        final int tgid; // [c]
        final int parent; // [c]
        int creator; // [c]
        final boolean sigchld; // [c]
        boolean dead; // [c]

        Proc(int tgid, int parent, int creator, boolean sigchld) {
            this.tgid = tgid;
            this.parent = parent;
            this.creator = creator;
            this.sigchld = sigchld;
        }

        @Override
        public String toString() {
            return tgid + (dead ? " (exited)" : " (running)");
        }
    }

    private final Map<Integer, Proc> children = new HashMap<>(); // [c] child tgid -> its link
    private final Set<Integer> allKnown = new HashSet<>(); // [c] tgids whose every child was seen born
    /** A process died with children alive: some traced subreaper may have adopted them. */
    private boolean orphans; // [c]

    /** A process {@code child} made by thread {@code creator} of {@code parent}, which the trace shows. */
    void born(int parent, int creator, int child, boolean sigchld) {
        children.put(child, new Proc(child, parent, creator, sigchld));
        allKnown.add(child);
    }

    /** {@code tgid} had no child when the trace began. */
    void childless(int tgid) {
        allKnown.add(tgid);
    }

    /** Whether every child of {@code tgid} is known. */
    boolean knowsAllChildren(int tgid) {
        return allKnown.contains(tgid);
    }

    /** The parent of {@code tgid} if the trace shows it, else -1 (CLONE_PARENT's child gets it). */
    int parentOf(int tgid) {
        final Proc p = children.get(tgid);
        return p == null ? -1 : p.parent;
    }

    /**
     * The last task of {@code tgid} is gone: a zombie for its parent. Its own children go to init,
     * or to a subreaper the trace may hold ({@code PR_SET_CHILD_SUBREAPER} is not traced): after
     * that no process's children are certain ({@link #orphans}).
     */
    void died(int tgid) {
        final Proc p = children.get(tgid);
        if (p != null) {
            p.dead = true;
        }
        orphans |= children.values().stream().anyMatch(c -> c.parent == tgid && !c.dead);
        children.values().removeIf(c -> c.parent == tgid);
        allKnown.remove(tgid);
    }

    /** Thread {@code pid} is gone: the children it made are its group's now (__WNOTHREAD no longer knows them). */
    void threadGone(int pid) {
        for (Proc c : children.values()) {
            if (c.creator == pid) {
                c.creator = -1;
            }
        }
    }

    /** Whether some process died with children alive (a subreaper may have adopted them). */
    boolean orphans() {
        return orphans;
    }

    /** The child process {@code tgid}, whoever its parent, or null. */
    Proc get(long tgid) {
        return tgid > 0 && tgid <= Integer.MAX_VALUE ? children.get((int) tgid) : null;
    }

    /** A wait reaped {@code tgid} (or init did, SIGCHLD being ignored): it is nobody's child any more. */
    void reap(int tgid) {
        children.remove(tgid);
    }

    /**
     * The children thread {@code pid} of {@code tgid} may wait for with {@code options}: all of them
     * for {@code which} -1, the one named otherwise ({@code eligible_child}); a dead one only with
     * WEXITED (wait4's callers pass it: it always waits for exits).
     */
    List<Proc> eligible(int tgid, int pid, long which, int options) {
        final List<Proc> out = new ArrayList<>();
        for (Proc p : children.values()) {
            if (p.parent != tgid || (which > 0 && p.tgid != which) || (p.dead && (options & WEXITED) == 0)) {
                continue;
            }
            if ((options & WNOTHREAD) != 0 && p.creator != pid && p.creator >= 0) {
                // (a child whose creator is gone went to another thread of the group: maybe this one)
                continue;
            }
            if ((options & WALL) == 0 && (!p.sigchld) != ((options & WCLONE) != 0)) {
                continue;
            }
            out.add(p);
        }
        out.sort((a, b) -> Integer.compare(a.tgid, b.tgid));
        return out;
    }
}
