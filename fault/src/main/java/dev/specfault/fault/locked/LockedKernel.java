package dev.specfault.fault.locked;

import dev.specfault.fault.FileObject;
import dev.specfault.pmap.Machine;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the locked design's spaces on one {@link Machine} share: the kernel lock of the
 * kernel-lock mode ({@code KERNEL_LOCK()}, one per machine, never static) and the object lock of
 * each {@link FileObject} ({@code vmobjlock}), which every space that maps the file must use.
 *
 * <p>Found by machine identity in a weak registry (a machine and its files go when nothing refers
 * to them); the registry's monitor is taken only when a space is created or first maps a file,
 * never on a fault.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [r] the REGISTRY monitor
 *   [k] this object's monitor
 * </pre>
 */
final class LockedKernel {
    private static final Map<Machine, LockedKernel> REGISTRY = new WeakHashMap<>(); // [r]

    private final ReentrantLock kernelLock = new ReentrantLock(); // [I]
    private final Map<FileObject, RwLock> objectLocks = new WeakHashMap<>(); // [k] FileObject has identity equality

    private LockedKernel() {
    }

    /** The shared state of {@code m}'s locked spaces. */
    static LockedKernel of(Machine m) {
        synchronized (REGISTRY) {
            return REGISTRY.computeIfAbsent(m, x -> new LockedKernel());
        }
    }

    /** The machine's big lock (kernel-lock mode). */
    ReentrantLock kernelLock() {
        return kernelLock;
    }

    /** The object lock of {@code f}, the same for every space of this machine. */
    synchronized RwLock objectLock(FileObject f) {
        return objectLocks.computeIfAbsent(f, x -> new RwLock());
    }
}
