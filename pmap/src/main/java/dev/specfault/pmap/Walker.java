package dev.specfault.pmap;

/**
 * A hardware page-table walker: from the root table to the leaf, as the MMU does it.
 *
 * <p>{@link #walk} reads each entry once (acquire: the walker sees a table's contents once it sees
 * the entry that links it), checks presence, reserved bits and rights, and sets the accessed and
 * dirty state by CAS <em>without any lock</em>, as hardware does; a CAS that loses to a concurrent
 * change restarts the walk. {@link #peek} is the read-only walk a speculative TLB fill uses: it
 * writes nothing and succeeds only for a leaf the hardware could cache as it stands.
 */
public interface Walker {
    /**
     * @param root   the root table's frame (CR3 / TTBR0 base)
     * @param access {@link Prot#ACCESS_READ}, {@link Prot#ACCESS_WRITE} or {@link Prot#ACCESS_EXEC}
     * @return a {@link WalkResult}
     */
    default long walk(long root, long va, int access) {
        return walk(root, va, access, null, 0);
    }

    /**
     * A walk that starts from the lowest entry {@code walks} caches for {@code va} under {@code tag}
     * (if any) and caches every non-leaf entry it reads. {@code walks} may be null.
     */
    long walk(long root, long va, int access, WalkCache walks, int tag);

    /**
     * The address an access of {@code va} translates: {@code va} itself, except where the translation
     * regime ignores some of its bits (arm64's top byte, {@link
     * dev.specfault.pmap.arm64.Arm64Walker#untag}). The TLB, the walk caches, the walk and the fault
     * handler all see this address, as the hardware's TLB and the kernel's fault handler do. It is
     * also the kernel's {@code untagged_addr} for a user address (the address-space calls use it).
     */
    default long untag(long va) {
        return va;
    }

    /**
     * Whether an access of {@code va} (after {@link #dataAddress}) reaches the TLB at all. False where
     * the MMU refuses the address first: x86's non-canonical addresses (#GP before any lookup), arm64's
     * outside TTBR0's 48 bits. The TLB and the walk caches key 45 bits of a page number, so such an
     * address could otherwise hit (or drop) the entry of a canonical one. The walk faults it. (On arm64
     * no address above 2^48 that {@link #untag} leaves can share a key with a user page: the check is
     * a defence there, not a need.)
     */
    boolean reachesTlb(long va);

    /** A read-only walk for a speculative fill: a translation, or a fault result if nothing can be cached. */
    default long peek(long root, long va) {
        return peek(root, va, null, 0);
    }

    /** {@link #peek(long, long)} through and into a walk cache, as a speculative walk may. */
    long peek(long root, long va, WalkCache walks, int tag);
}
