package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;

/**
 * will-it-scale's page_fault1, one thread's loop: map a private anonymous region, touch (store
 * to) every page, unmap it. Each touch is a zero-fill fault. The caller's thread must be bound to
 * {@code cpu}.
 */
public final class PageFault1 {
    private final AddressSpace space;
    private final Cpu cpu;
    private final long bytes;

    public PageFault1(AddressSpace space, Cpu cpu, long bytes) {
        if (bytes <= 0 || !Mman.aligned(bytes)) {
            throw new IllegalArgumentException("region size must be a positive multiple of 4 KiB: " + bytes);
        }
        this.space = space;
        this.cpu = cpu;
        this.bytes = bytes;
    }

    /** Pages one {@link #iteration()} touches. */
    public long pagesPerIteration() {
        return bytes / Mman.PAGE_SIZE;
    }

    /**
     * One map–touch–unmap round.
     *
     * @return pages touched
     * @throws IllegalStateException if a system call or a touch fails (the workload expects none)
     */
    public long iteration() {
        final long a = space.mmap(0, bytes, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        if (Errno.isError(a)) {
            throw new IllegalStateException("mmap: " + Errno.format(a));
        }
        for (long off = 0; off < bytes; off += Mman.PAGE_SIZE) {
            final int r = space.store(cpu, a + off, off);
            if (r != AccessResult.OK) {
                throw new IllegalStateException("store at 0x" + Long.toHexString(a + off) + ": " + AccessResult.name(r));
            }
        }
        final long u = space.munmap(a, bytes);
        if (u != 0) {
            throw new IllegalStateException("munmap: " + Errno.format(u));
        }
        return bytes / Mman.PAGE_SIZE;
    }
}
