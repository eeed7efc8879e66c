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

    /** A read-only walk for a speculative fill: a translation, or a fault result if nothing can be cached. */
    default long peek(long root, long va) {
        return peek(root, va, null, 0);
    }

    /** {@link #peek(long, long)} through and into a walk cache, as a speculative walk may. */
    long peek(long root, long va, WalkCache walks, int tag);
}
