package dev.specfault.fault;

import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.vma.Area;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A memfd-like file: a fixed size (set at creation, as {@code memfd_create} + {@code ftruncate}
 * before the first mapping; no later truncation) and a page cache shared by every mapping of it.
 * Shared anonymous memory is such a file too (Linux backs it with shmem).
 *
 * <h2>Page cache</h2>
 * One slot per page, {@code 0} or {@code frame + 1}, in leaves of 512 slots made on first use (a
 * two-level radix tree, as Linux's xarray: a sparse file of a terabyte costs its top level, 2 MiB,
 * not a slot per page). A page is created on first touch, zeroed, and
 * installed by CAS (a loser frees its frame): lock-free, so a speculative fault can find its page
 * without any lock. The cache holds one reference on each page; a caller gets its own with
 * get-unless-zero ({@link #getPage}), so a page the cache drops concurrently is never resurrected.
 *
 * <h2>Lifetime</h2>
 * Reference-counted: the creator holds one ({@link #close()} drops it) and every VMA record that maps
 * the file holds one, dropped after an SRCU grace period of the space that retired the record. When
 * the count reaches zero the cache drops its pages (the frames go back when no PTE maps them).
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [a] atomic
 * </pre>
 */
public final class FileObject {
    /** {@link #getPage} result for a page at or beyond the end of the file. */
    public static final long SIGBUS = -2;

    /**
     * What kind of object a mapping of this one is. A plain file, or one of the kernel's special
     * mappings (what {@code _install_special_mapping} makes, as a replay's initial maps list them):
     * {@link #SPECIAL} ([vdso]) cannot be split (special_mapping_split: EINVAL) or grown (VM_DONTEXPAND:
     * mremap EFAULT); {@link #PFN} ([vvar], [vvar_vclock]) is also VM_PFNMAP without VM_MAYWRITE and
     * VM_MAYEXEC (mprotect to W or X: EACCES; madvise: EINVAL).
     */
    public enum Kind { FILE, SPECIAL, PFN }

    /** The largest file the page cache takes: 1 TiB (its top level is then 2^19 leaves). */
    public static final long MAX_SIZE = 1L << 40;
    private static final int LEAF_SHIFT = 9;
    private static final int LEAF_MASK = (1 << LEAF_SHIFT) - 1;

    private final String name; // [I]
    private final long size; // [I] bytes
    private final FrameAllocator frames; // [I]
    private final long pageCount; // [I]
    private final AtomicReferenceArray<AtomicLongArray> leaves; // [a] 512 slots of frame + 1 each, made on first use
    private final AtomicInteger refs = new AtomicInteger(1); // [a]
    private final Kind kind; // [I]
    /** The seeded bug page-cache-unchecked-insert: a miss installs its page by a plain store. */
    private final boolean uncheckedInsert; // [I]
    /** Tests: runs on a miss after its new page is made, before the page is installed. */
    private volatile Runnable missHook; // [a] set by tests before a race, read on each miss
    /** Files made so far: each one's {@link #hashCode} comes from it. */
    private static final AtomicInteger MADE = new AtomicInteger(); // [a]
    private final int hash = MADE.incrementAndGet() * 0x9E3779B9; // [I]

    public FileObject(String name, long size, FrameAllocator frames) {
        this(name, size, frames, Kind.FILE);
    }

    public FileObject(String name, long size, FrameAllocator frames, Kind kind) {
        this(name, size, frames, kind, false);
    }

    /** A plain file with the seeded bugs of {@code bugs} that are the page cache's ({@link FaultBug#PAGE_CACHE_UNCHECKED_INSERT}). */
    public FileObject(String name, long size, FrameAllocator frames, Set<FaultBug> bugs) {
        this(name, size, frames, Kind.FILE, bugs.contains(FaultBug.PAGE_CACHE_UNCHECKED_INSERT));
    }

    private FileObject(String name, long size, FrameAllocator frames, Kind kind, boolean uncheckedInsert) {
        this.uncheckedInsert = uncheckedInsert;
        if (size < 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("file size " + size + " (the page cache takes 0 to " + MAX_SIZE + " bytes)");
        }
        this.name = name;
        this.size = size;
        this.frames = frames;
        this.kind = kind;
        this.pageCount = Mman.pageAlign(size) / Mman.PAGE_SIZE;
        this.leaves = new AtomicReferenceArray<>((int) ((pageCount + LEAF_MASK) >>> LEAF_SHIFT));
    }

    /** The leaf holding page {@code i}'s slot, made if absent (by CAS: a loser drops its own). */
    private AtomicLongArray leaf(long i) {
        final int k = (int) (i >>> LEAF_SHIFT);
        final AtomicLongArray l = leaves.get(k);
        if (l != null) {
            return l;
        }
        final AtomicLongArray made = new AtomicLongArray(1 << LEAF_SHIFT);
        return leaves.compareAndSet(k, null, made) ? made : leaves.get(k);
    }

    public String name() {
        return name;
    }

    /** A new file of the same size, kind and seeded bugs, with an empty page cache (memfd_create + ftruncate again). */
    public FileObject like(String newName) {
        return new FileObject(newName, size, frames, kind, uncheckedInsert);
    }

    public Kind kind() {
        return kind;
    }

    /** The kind of object {@code a} maps: {@link Kind#FILE} for anonymous memory too. */
    public static Kind kindOf(Area a) {
        return a.backing() instanceof FileObject f ? f.kind : Kind.FILE;
    }

    public long size() {
        return size;
    }

    /** Pages in the file: accesses at or beyond this page index get SIGBUS. */
    public long pageCount() {
        return pageCount;
    }

    /** Tests: {@code r} runs on each miss between the new page's allocation and its installation (null: none). */
    void missHook(Runnable r) {
        missHook = r;
    }

    /** Takes a reference (a new VMA record maps the file). */
    public void acquire() {
        for (;;) {
            final int r = refs.get();
            if (r <= 0) {
                throw new IllegalStateException("file " + name + " already released");
            }
            if (refs.compareAndSet(r, r + 1)) {
                return;
            }
        }
    }

    /** Drops a reference; the last one drops the page cache. */
    public void release() {
        final int r = refs.decrementAndGet();
        if (r < 0) {
            throw new IllegalStateException("file " + name + " released too often");
        }
        if (r == 0) {
            for (int k = 0; k < leaves.length(); k++) {
                final AtomicLongArray l = leaves.get(k);
                for (int i = 0; l != null && i < l.length(); i++) {
                    final long v = l.getAndSet(i, 0);
                    if (v != 0) {
                        frames.put(v - 1);
                    }
                }
            }
        }
    }

    /** The creator's reference (memfd's file descriptor) is closed. */
    public void close() {
        release();
    }

    public int refs() {
        return refs.get();
    }

    /**
     * The frame caching page {@code pgoff}, created zeroed if absent, with a reference taken for the
     * caller (who puts it when done); {@link #SIGBUS} beyond the end; {@link FrameAllocator#OOM}.
     */
    public long getPage(long pgoff, FrameCache cache) {
        if (pgoff < 0 || pgoff >= pageCount) {
            return SIGBUS;
        }
        final AtomicLongArray pages = leaf(pgoff);
        final int i = (int) pgoff & LEAF_MASK;
        for (;;) {
            final long v = pages.get(i);
            if (v != 0) {
                if (frames.getUnlessZero(v - 1)) {
                    if (pages.get(i) == v) {
                        return v - 1;
                    }
                    frames.put(v - 1, cache); // dropped and maybe reused meanwhile: look again
                    continue;
                }
                if (refs.get() <= 0) {
                    return SIGBUS; // released: the file is gone (only a stale mapping can ask)
                }
                continue;
            }
            if (refs.get() <= 0) {
                return SIGBUS;
            }
            final long f = frames.alloc(cache, FrameAllocator.DATA, true);
            if (f == FrameAllocator.OOM) {
                return FrameAllocator.OOM;
            }
            frames.get(f); // the caller's reference; the allocation's is the cache's
            final Runnable hook = missHook;
            if (hook != null) {
                hook.run();
            }
            if (uncheckedInsert) {
                // Seeded bug: the slot was empty when looked at, so store without checking again. A
                // page another fault installed meanwhile is replaced: its mappings keep a page the
                // file no longer has (their stores are lost to pread and to later faults), and the
                // cache's reference on it is never dropped.
                pages.set(i, f + 1);
                return f;
            }
            if (pages.compareAndSet(i, 0, f + 1)) {
                if (refs.get() <= 0 && pages.compareAndSet(i, f + 1, 0)) {
                    // The last reference went meanwhile and release() may have walked this slot
                    // already: take the page back out rather than leave it in a dead cache.
                    frames.put(f, cache);
                    frames.put(f, cache);
                    return SIGBUS;
                }
                return f;
            }
            frames.put(f, cache);
            frames.put(f, cache);
        }
    }

    /** The cached frame of a page, or -1 (no reference taken; for checkers in a quiet state). */
    public long cachedFrame(long pgoff) {
        if (pgoff < 0 || pgoff >= pageCount) {
            return -1;
        }
        final AtomicLongArray l = leaves.get((int) (pgoff >>> LEAF_SHIFT));
        final long v = l == null ? 0 : l.get((int) pgoff & LEAF_MASK);
        return v == 0 ? -1 : v - 1;
    }

    /** pread of one 8-byte word at byte offset {@code off} (0 for a page never written). */
    public long readWord(long off) {
        final long f = getPage(off >>> PhysicalMemory.PAGE_SHIFT, null);
        if (f < 0) {
            throw new IllegalArgumentException("offset " + off + " beyond " + name);
        }
        try {
            return frames.memory().getAcquire(f, (int) (off & (Mman.PAGE_SIZE - 1)) >>> 3);
        } finally {
            frames.put(f);
        }
    }

    /** pwrite of one 8-byte word at byte offset {@code off}. */
    public void writeWord(long off, long v) {
        final long f = getPage(off >>> PhysicalMemory.PAGE_SHIFT, null);
        if (f < 0) {
            throw new IllegalArgumentException("offset " + off + " beyond " + name);
        }
        try {
            frames.memory().putRelease(f, (int) (off & (Mman.PAGE_SIZE - 1)) >>> 3, v);
        } finally {
            frames.put(f);
        }
    }

    /**
     * Identity equality, with a hash of its own rather than the identity hash: the locked design keys
     * its object locks by file, and Lincheck's model checker rewrites identity hash codes between the
     * harness's set-up and its threads (a lock registered at mmap was then not found by a fault).
     */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "file[" + name + ", " + size + " bytes, refs " + refs.get() + "]";
    }
}
