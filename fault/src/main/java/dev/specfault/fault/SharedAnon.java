package dev.specfault.fault;

import dev.specfault.pmap.phys.FrameAllocator;

/** Shared anonymous memory: a shmem file per mapping, as Linux's {@code shmem_zero_setup}. */
final class SharedAnon {
    private static final String PREFIX = "shmem-anon:";

    private SharedAnon() {
    }

    static FileObject create(long len, FrameAllocator frames, long addr) {
        return new FileObject(PREFIX + Long.toHexString(addr), len, frames);
    }

    static boolean is(FileObject f) {
        return f.name().startsWith(PREFIX);
    }
}
