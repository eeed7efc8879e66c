package dev.specfault.pmap;

/**
 * How an architecture keeps TLBs coherent with the page tables: tags (PCID / ASID), switching
 * address spaces, shootdowns, and the catch-up a CPU does when it next enters an access. Two
 * implementations: x86 ({@code X86Shootdown}: per-CPU PCID slots, Linux's per-space
 * {@code tlb_gen}, IPIs that wait only for CPUs inside an access of the space) and arm64
 * ({@code Arm64Broadcast}: global ASIDs with generation rollover, broadcast TLBI by VA/ASID, DSB).
 *
 * <p>"Remote" CPUs are never touched while they are inside an access: their TLB is written only by
 * their own thread, or by another thread that holds their remote-operation state (see {@link Cpu}).
 */
public interface TlbCoherence {
    /** Per-CPU state of the architecture's TLB management. */
    interface CpuState {
    }

    CpuState newCpuState(Cpu cpu);

    /**
     * switch_mm: load {@code next}'s root and tag on {@code cpu}, flushing what the architecture
     * requires. => on the CPU's thread or under its remote state; the CPU is not inside an access.
     */
    void switchMm(Cpu cpu, Pmap prev, Pmap next);

    /** At access entry (after the state CAS, a full fence): catch up with flushes this CPU missed. */
    void catchUp(Cpu cpu, Pmap mm);

    /**
     * Before a speculative fill: apply what the hardware has already done (arm64: broadcast TLBIs
     * completed by a DSB), but none of the kernel's software catch-up (x86 tlb_gen).
     */
    default void catchUpHardwareOnly(Cpu cpu) {
    }

    /**
     * Flushes the translations of [start, end) of {@code mm}: when this returns, no CPU can use a
     * translation of the range that was cached before the call. {@code freedTables}: page-table pages
     * are being freed, so lazy CPUs must be covered too. {@code self}: the calling thread's CPU, or null.
     */
    void flushRange(Pmap mm, long start, long end, boolean freedTables, Cpu self);

    /**
     * Teardown: removes every entry of {@code mm}'s PCID/ASID from every CPU and releases the tag as
     * clean (reusable without a flush). => no CPU has {@code mm} loaded any more (unless the seeded bug
     * flush-before-detach reorders the teardown).
     */
    void teardownFlush(Pmap mm, Cpu self);

    /**
     * Whether a cached entry could be used by {@code cpu} without a flush first (P0, P7 checkers):
     * false when a pending flush, a stale generation or a required switch flush will drop it.
     */
    boolean reachable(Cpu cpu, int tag, long vpn);

    /**
     * Whether a walk-cache entry of {@code tag} that walks of the pages [firstVpn, endVpn) may start
     * from could be used by {@code cpu} without a flush first (the P0 checker): false when a pending
     * flush that reaches walk caches, a stale generation or a required switch flush will drop it.
     */
    boolean walksReachable(Cpu cpu, int tag, long firstVpn, long endVpn);

    /** The live address space that owns {@code tag} on {@code cpu}, or null (released, kernel, unknown). */
    Pmap owner(Cpu cpu, int tag);

    /** Whether {@code cpu}'s entries tagged {@code tag} are {@code mm}'s (P1/P5/P7 checkers). */
    default boolean ownsTag(Cpu cpu, int tag, Pmap mm) {
        return owner(cpu, tag) == mm;
    }
}
