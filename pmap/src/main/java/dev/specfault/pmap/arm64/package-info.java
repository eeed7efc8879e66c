/**
 * arm64 as the emulated machine sees it: VMSAv8-64 stage-1 descriptors with a 4 KiB granule and
 * Linux's software bits ({@link dev.specfault.pmap.arm64.Arm64PteFormat}), the level 0–3 walk through
 * TTBR0 with optional hardware AF/DBM management ({@link dev.specfault.pmap.arm64.Arm64Walker}),
 * broadcast TLBI + DSB ({@link dev.specfault.pmap.arm64.Arm64Broadcast}) and global ASIDs with
 * generation rollover after Linux's {@code arch/arm64/mm/context.c} ({@code AsidAllocator}).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Break-before-make: changing a valid entry's output address, AttrIndx, SH, nG or Contig needs
 *   invalid → flush → new ({@code needsBreakBeforeMake}); AP, AF, DBM, XN and the software bits
 *   change in place.</li>
 *   <li>An entry with DBM=1 is writable even while AP[2]=1 (clean); it is dirty when AP[2]=0 or
 *   PTE_DIRTY=1. Write-protecting moves hardware dirtiness into PTE_DIRTY, so none is lost.</li>
 *   <li>The walker reads each descriptor once (acquire). With hardware AF (TCR_EL1.HA) it sets AF by
 *   CAS, without it AF=0 is an access-flag fault; with hardware DBM (TCR_EL1.HD) a write through a
 *   clean DBM=1 page clears AP[2] by CAS, without it the write is a permission fault. A lost CAS
 *   restarts the walk; no lock is taken. {@code peek} writes nothing.</li>
 *   <li>A flush posts the TLBI to every CPU's pending list and then, as the DSB, waits for every CPU
 *   that is inside an access (every access and walk that began before the post); a CPU applies its
 *   pending TLBIs at every access entry and before every speculative fill. A list that overflows
 *   collapses into "flush all".</li>
 *   <li>A space's context id is {@code generation | ASID}. At rollover the ASIDs running on some CPU
 *   stay reserved and every CPU flushes its whole TLB before its next switch; an ASID released at
 *   teardown (after its broadcast flush) is reused clean (seeded bug {@code tag-reuse-no-flush}
 *   skips the rollover flush).</li>
 * </ul>
 *
 * <h2>Access-mode naming</h2>
 * Entries: {@code getAcquire} and {@code cas} through {@code PhysicalMemory}. A CPU's pending
 * count is volatile (read racily at access entry; the list itself is guarded by its monitor, a leaf
 * lock); the CPU state CAS at entry and the flusher's volatile read of it after posting form the
 * Dekker pair. ASIDs: the per-CPU active ids are an {@code AtomicLongArray} (CAS on the fast path,
 * get-and-set at rollover), the generation is volatile, everything else is guarded by the
 * allocator's monitor.
 *
 * <h2>May touch</h2>
 * {@code dev.specfault.pmap} (the architecture-model hooks of {@code Machine}, {@code Cpu},
 * {@code Pmap}, {@code Tlb}, {@code WalkResult}), {@code dev.specfault.pmap.phys} and the JDK; never
 * {@code .x86}.
 */
package dev.specfault.pmap.arm64;
