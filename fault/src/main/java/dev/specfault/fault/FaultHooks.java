package dev.specfault.fault;

/**
 * Test hooks: a deterministic scenario pauses a fault or a writer between two steps of its
 * protocol and runs another operation there. No-ops in production ({@link #NONE}).
 */
@FunctionalInterface
public interface FaultHooks {
    /** Where a hook can run. */
    enum Point {
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
        /** Speculative fault: a COW source frame was read from the PTE; not yet pinned. */
        FAULT_BEFORE_PIN,
        /** Speculative fault: it gave up and is about to take the mmap lock (slow path). */
        FAULT_BEFORE_FALLBACK
    }

    FaultHooks NONE = (p, s, va) -> { };

    void at(Point point, AddressSpace space, long va);
}
