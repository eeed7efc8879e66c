package dev.specfault.fault;

import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.Pmap;
import dev.specfault.vma.Area;
import java.util.List;

/**
 * An address space: the contract both fault-path designs implement, with Linux 6.x's semantics
 * on x86-64 (DESIGN.md, "Address spaces"), checked against the kernel with strace.
 *
 * <h2>Results</h2>
 * System calls return what the raw Linux system call returns: a non-negative value on success
 * (an address, or 0) and {@code -errno} on failure ({@link Errno}); {@link #brk} returns the
 * break, the old one on failure, as Linux does. Nothing is thrown for bad input. Memory accesses
 * ({@link #load}, {@link #store}) return a {@link dev.specfault.pmap.AccessResult}: OK, SIGSEGV,
 * SIGBUS, OOM or KILLED; a loaded value is in {@link Cpu#value()}.
 *
 * <h2>Threads and CPUs</h2>
 * Any number of threads may call any operation concurrently. An access runs on an emulated CPU
 * bound to the calling thread ({@link Cpu#bind()}); the space switches the CPU to itself first
 * (the previous space stays loaded lazily, as on a real context switch).
 */
public interface AddressSpace {
    Design design();

    String name();

    Machine machine();

    Pmap pmap();

    SpaceConfig config();

    SpaceStats stats();

    /** Anonymous mmap ({@code MAP_ANONYMOUS} is implied; fd -1). */
    long mmap(long addr, long len, int prot, int flags);

    /** mmap of a file ({@code file == null} means anonymous, as {@code MAP_ANONYMOUS}). */
    long mmap(long addr, long len, int prot, int flags, FileObject file, long offset);

    long munmap(long addr, long len);

    long mprotect(long addr, long len, int prot);

    /** Linux brk: the new break, or the current one (unchanged) on failure or for {@code brk(0)}. */
    long brk(long addr);

    /**
     * mremap; {@code newAddr} is the target with {@link Mman#MREMAP_FIXED} and a hint with
     * {@link Mman#MREMAP_DONTUNMAP} alone, ignored otherwise.
     */
    long mremap(long oldAddr, long oldLen, long newLen, int flags, long newAddr);

    /**
     * The advice {@link Mman#madviseModelled} lists: DONTNEED, DONTNEED_LOCKED, FREE, WILLNEED, COLD,
     * PAGEOUT, POPULATE_READ/WRITE, and the advice that changes the areas' flags
     * ({@link Mman#madviseSetsFlags}: readahead, fork inheritance, core dumps, KSM, THP); any other
     * advice is EINVAL.
     */
    long madvise(long addr, long len, int advice);

    /**
     * mlock2 ({@code flags} 0 is mlock, or {@link Mman#MLOCK_ONFAULT}): the areas of the range become
     * locked (and their pages faulted in, unless ONFAULT). The caller is taken to hold CAP_IPC_LOCK,
     * as the root traces replay does: RLIMIT_MEMLOCK is not checked.
     */
    long mlock(long addr, long len, int flags);

    long munlock(long addr, long len);

    /** {@link Mman#MCL_CURRENT}, {@link Mman#MCL_FUTURE}, {@link Mman#MCL_ONFAULT}. */
    long mlockall(int flags);

    long munlockall();

    /**
     * mseal (Linux 6.10; the semantics of 6.18, checked on this machine: docs/linux/mseal.c): seals
     * the areas of [addr, addr + len) ({@link dev.specfault.vma.VmaFlags#SEALED}). EINVAL for flags
     * other than 0, an unaligned address or a length that wraps; 0 for len 0; ENOMEM if the range
     * has a hole (nothing sealed) or a cut is refused at the map-count limit (the areas before it
     * sealed). A sealed area refuses munmap, MAP_FIXED over it, mremap, mprotect and brk's shrink
     * with EPERM, and the discarding madvise advice on read-only private anonymous memory.
     */
    long mseal(long addr, long len, long flags);

    /**
     * msync (6.18; docs/linux/msync.c). Nothing to write back here (a file's pages are its page
     * cache), so what is modelled is the result: EINVAL for an unknown flag, an unaligned address,
     * or MS_ASYNC with MS_SYNC; ENOMEM for a length that wraps; 0 for len 0; ENOMEM when the range
     * has a hole (MS_ASYNC alone stops at the first, other flags go on past it); EBUSY for
     * MS_INVALIDATE on a locked area, which comes before the holes' ENOMEM.
     */
    long msync(long addr, long len, int flags);

    /**
     * mincore (6.18; docs/linux/msync.c): whether each page of [addr, addr + len) is in memory, one
     * byte per page into {@code vec} (1 or 0). A page is in memory when a PTE maps it (PROT_NONE
     * included), when its file's or shared anonymous memory's page is cached, when the design holds
     * it in anonymous memory no PTE maps (the locked design's anons), and always in a special
     * mapping. EINVAL for an unaligned address; ENOMEM for a range past user space or with a
     * hole (checked area by area: the areas before it are reported first); EFAULT when an area's
     * results do not fit: {@code vec} is null or shorter than the pages up to that area's end
     * (Linux's copy_to_user into a buffer whose writable part ends there). 0 for len 0. The caller
     * is taken to own the files (root, as the replayed traces): Linux reports every page of a file
     * the caller could neither own nor open for writing as in memory, which is not modelled.
     */
    long mincore(long addr, long len, byte[] vec);

    /**
     * Reclaim of this space's lazy-free pages (those MADV_FREE marked), as memory pressure would
     * do it in Linux (shrink_folio_list, try_to_unmap_one): each page still clean since MADV_FREE
     * is unmapped and freed (the next touch reads zeroes); a page written since is kept and is an
     * ordinary page again. Safe beside every other operation and every access; no-op after exit.
     *
     * @return pages discarded
     */
    default long reclaimLazyFree() {
        return reclaimLazyFree(0, config().taskSize());
    }

    /** {@link #reclaimLazyFree()} of the pages in [start, end) only (a reclaimer that follows MADV_FREE). */
    long reclaimLazyFree(long start, long end);

    /**
     * Direct reclaim, for an allocation outside a fault that found no free frame (a pread's
     * page-cache miss, {@link FileObject#readWord(long, java.util.function.BooleanSupplier)}): what
     * a fault does before it reports OOM. Waits until every callback queued in the SRCU domain of
     * every space on the machine has run (table pages and records that hold frames back until a
     * grace period; {@link dev.specfault.pmap.Machine#drainDeferredFrees}), then, if that freed
     * nothing, discards this space's clean lazy-free pages. Call with no lock held, outside any read
     * section.
     *
     * @return true if frames were freed, or a fault's worth of frames is free (the allocation may be
     *         tried again)
     */
    boolean reclaim();

    /**
     * fork: a new space of the same design on the same machine; private pages copy-on-write,
     * shared pages shared. Returns null for ENOMEM.
     */
    AddressSpace fork();

    /** exit: stops the space's CPUs, then tears down in DESIGN.md's order. Idempotent. */
    void exit();

    boolean isExited();

    /** Waits until everything this space retired so far has been freed (an SRCU barrier). */
    void quiesce();

    /** Loads the 8-byte word at {@code va} on {@code cpu} (bound to the calling thread). */
    int load(Cpu cpu, long va);

    /** Stores an 8-byte word at {@code va} on {@code cpu} (bound to the calling thread). */
    int store(Cpu cpu, long va, long value);

    /** The areas now, in address order (a consistent snapshot). */
    List<Area> areas();

    /** The layout as {@code /proc/PID/maps} prints it. */
    default String procMaps() {
        return ProcMaps.format(areas(), this);
    }

    /** The current program break (unaligned, as the last successful brk set it). */
    long currentBrk();

    /** Where the break started ({@code mm->start_brk}). */
    long startBrk();

    /**
     * Invariants that hold in a quiet state (no operation in flight): P0 (no PTE or TLB entry refers
     * to a free frame), P1 (every valid PTE and TLB entry is covered by an area granting its rights),
     * table sanity. Empty when all hold; each string names what broke.
     */
    default List<String> checkQuiet() {
        return checkQuiet(0, config().taskSize());
    }

    /** {@link #checkQuiet()} over the PTEs of [start, end) only (every TLB entry is still checked). */
    List<String> checkQuiet(long start, long end);
}
