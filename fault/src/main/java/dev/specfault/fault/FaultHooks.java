package dev.specfault.fault;

/**
 * Test hooks: a deterministic scenario pauses a fault or a writer between two steps of its
 * protocol and runs another operation there. No-ops in production ({@link #NONE}).
 */
@FunctionalInterface
public interface FaultHooks {
    /** Where a hook can run. */
    enum Point {
        /** Speculative fault: the tree returned a record; nothing of it has been read yet. */
        FAULT_AFTER_FIND,
        /** Speculative fault: the record was found and its incarnation and sequence read. */
        FAULT_AFTER_LOOKUP,
        /** Speculative fault: the page is prepared; the PTL is not yet taken. */
        FAULT_BEFORE_PTL,
        /** Writer: the replaced records are marked dead (or the sequence made odd). */
        WRITER_AFTER_MARK,
        /** Writer: the PTEs are zapped or changed and the TLBs flushed; not yet published. */
        WRITER_AFTER_ZAP,
        /** Writer: the new tree is published; frames not yet freed. */
        WRITER_AFTER_PUBLISH,
        /**
         * Speculative munmap, shrinking brk or in-place mremap shrink: the mmap lock is downgraded to read
         * ({@code mmap_write_downgrade}); the zapped pages are not freed yet ({@code va} is 0).
         */
        WRITER_DOWNGRADED,
        /** Speculative fault: a COW source frame was read from the PTE; not yet pinned. */
        FAULT_BEFORE_PIN,
        /** Speculative fault: it gave up and is about to take the mmap lock (slow path). */
        FAULT_BEFORE_FALLBACK,
        /** Locked fault: the amap lock is held (shared or exclusive) and the slot's anon looked up. */
        LOCKED_AMAP_LOCKED,
        /** Locked fault: about to try the upgrade of a lock held shared (RW_UPGRADE|RW_NOSLEEP). */
        LOCKED_BEFORE_UPGRADE,
        /** Locked amap_copy: decided what to copy or create, not yet installed (map lock held). */
        LOCKED_AMAP_COPY,
        /** Locked stack growth: past the unlocked vm_maxsaddr check, the map lock not yet taken. */
        LOCKED_GROW_BEFORE_LOCK,
        /** Locked lower fault: the map and amap are unlocked for the page-in ("I/O"). */
        LOCKED_LOWER_IO,
        /** Locked lower fault: the page-in's getPage returned (a page or SIGBUS); the map is not relocked yet. */
        LOCKED_LOWER_IO_DONE,
        /**
         * Locked writer: the map lock is released; the amap references of what it removed are not
         * dropped yet ({@code uvm_unmap_detach} to come; {@code va} is 0).
         */
        LOCKED_WRITER_UNLOCKED
    }

    FaultHooks NONE = (p, s, va) -> { };

    void at(Point point, AddressSpace space, long va);
}
