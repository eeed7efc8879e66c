/**
 * x86-64 as the emulated machine sees it: the paging-structure entry format
 * ({@link dev.specfault.pmap.x86.X86PteFormat}, SDM 4.5, with Linux's {@code _PAGE_PROTNONE}), the
 * 4-level and 5-level (LA57) hardware walk ({@link dev.specfault.pmap.x86.X86Walker}), and TLB
 * coherence after Linux's {@code arch/x86/mm/tlb.c} ({@link dev.specfault.pmap.x86.X86Shootdown}):
 * per-CPU PCID slots, the per-space flush generation {@code tlb_gen}, shootdown "IPIs".
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>The walker reads each entry once (acquire), sets A in every entry it uses and D in the leaf
 *   on a write by CAS with no lock, restarts the walk when a CAS loses, and never writes a
 *   non-present entry. Its faults are precise: not present at level N, protection, reserved bit
 *   (above MAXPHYADDR, PS in a PML4E/PML5E, misaligned huge-page address), #GP for a non-canonical
 *   address. {@code peek} (speculative fills) writes nothing and caches only entries with P and A.</li>
 *   <li>A flush bumps {@code tlb_gen} (a full fence) and waits only for CPUs that are inside an access
 *   of the space; lazy CPUs are skipped unless table pages are being freed. Every other CPU catches
 *   up from the generation at its next access entry (one generation behind with a known range:
 *   that range; otherwise the whole PCID), so no CPU ever waits for a CPU that is blocked or idle.</li>
 *   <li>A PCID slot that held another space is flushed when it is taken; teardown flushes the
 *   space's slots on every CPU (under each CPU's REMOTE) and marks them clean, and only a clean slot
 *   is reused without a flush (seeded bug {@code tag-reuse-no-flush} breaks this).</li>
 * </ul>
 *
 * <h2>Access-mode naming</h2>
 * Entries: {@code getAcquire} and {@code cas} through {@code PhysicalMemory}. The space's
 * {@code tlb_gen} is read volatile ({@code Machine.tlbGen}) and bumped by {@code incrementAndGet}
 * ({@code Machine.recordFlush}); a CPU's state is read volatile by the flusher
 * ({@code Cpu.waitForAccessEnd}). PCID slot state ({@code X86Shootdown.State}) is plain, owned by the
 * CPU's thread inside its access or by a remote holder of the CPU; checkers read it racily.
 *
 * <h2>May touch</h2>
 * {@code dev.specfault.pmap} (the architecture-model hooks of {@code Machine}, {@code Cpu},
 * {@code Pmap}, {@code Tlb}, {@code WalkResult}), {@code dev.specfault.pmap.phys} and the JDK; never
 * {@code .arm64}.
 */
package dev.specfault.pmap.x86;
