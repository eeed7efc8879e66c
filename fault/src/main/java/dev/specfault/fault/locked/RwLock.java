package dev.specfault.fault.locked;

import dev.specfault.fault.SpaceStats;
import java.util.concurrent.locks.StampedLock;

/**
 * OpenBSD's {@code struct rwlock} as the locked design uses it for amaps and objects: shared
 * ({@code RW_READ}), exclusive ({@code RW_WRITE}), and an upgrade that never sleeps
 * ({@code RW_UPGRADE|RW_NOSLEEP}): it succeeds only when the caller is the lock's one reader.
 *
 * <h2>Why a {@link StampedLock}</h2>
 * {@link java.util.concurrent.locks.ReentrantReadWriteLock} cannot upgrade at all: a reader that
 * asks for the write lock waits for itself. {@link StampedLock#tryConvertToWriteLock} on a read
 * stamp is exactly the non-sleeping upgrade: one CAS from "one reader" to "writer", failing (and
 * leaving the read lock held) when any other reader is in. Building a lock with a wait queue for
 * this would be more code to get wrong for nothing. What StampedLock lacks is harmless here or
 * even right: it is not reentrant (neither is OpenBSD's rwlock: recursion deadlocks in both, so it
 * is found), and it has no owner, so assertions check the stamp a fault carries and the lock's
 * state ({@code rw_status}) rather than "held by this thread". One difference from OpenBSD: the
 * upgrade succeeds while a writer waits (OpenBSD's fails when RWLOCK_WAIT is set); either is a
 * correct RW_NOSLEEP upgrade.
 *
 * <p>Acquisitions that cannot succeed at once are counted as lock waits in the space's
 * {@link SpaceStats} (try first, then count and block).
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 * </pre>
 */
final class RwLock {
    /** {@code rw_status}: not held. */
    static final int NONE = 0;
    /** {@code RW_READ}: held shared. */
    static final int READ = 1;
    /** {@code RW_WRITE}: held exclusively. */
    static final int WRITE = 2;

    private final StampedLock lock = new StampedLock(); // [I]

    /** rw_enter(RW_READ or RW_WRITE); returns the stamp to exit with. */
    long enter(int type, SpaceStats stats) {
        assert type == READ || type == WRITE;
        long s = type == READ ? lock.tryReadLock() : lock.tryWriteLock();
        if (s == 0L) {
            stats.lockWait();
            s = type == READ ? lock.readLock() : lock.writeLock();
        }
        return s;
    }

    /**
     * {@code rw_enter(RW_UPGRADE|RW_NOSLEEP)} on a read stamp: the write stamp, or 0 when another
     * reader holds the lock (the caller then still holds it for reading).
     */
    long tryUpgrade(long readStamp) {
        assert StampedLock.isReadLockStamp(readStamp) : "upgrade of a stamp that is not a read stamp";
        return lock.tryConvertToWriteLock(readStamp);
    }

    /** rw_exit. */
    void exit(long stamp) {
        lock.unlock(stamp);
    }

    /** {@code rw_status} as far as a lock without owners can tell: WRITE, READ (by someone) or NONE. */
    int status() {
        return lock.isWriteLocked() ? WRITE : lock.isReadLocked() ? READ : NONE;
    }

    /** Readers in now (racy: for tests and assertions). */
    int readers() {
        return lock.getReadLockCount();
    }

    /** The mode a stamp holds: WRITE or READ. */
    static int mode(long stamp) {
        return StampedLock.isWriteLockStamp(stamp) ? WRITE : READ;
    }

    @Override
    public String toString() {
        return "rwlock[" + (status() == WRITE ? "write" : status() == READ ? readers() + " readers" : "free") + "]";
    }
}
