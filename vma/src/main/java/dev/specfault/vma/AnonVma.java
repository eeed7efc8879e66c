package dev.specfault.vma;

/**
 * The identity of an area's anonymous memory: Linux's {@code struct anon_vma} as far as the layout
 * sees it. An area has none (null) until the first write fault in it (private memory only:
 * {@code vmf_anon_prepare}, {@code __anon_vma_prepare}; a stack also gets one when it grows);
 * splits give both pieces the same one, a merge keeps the one that
 * is set, a move keeps it, and a fork gives each copied area a new one of its own that is
 * {@link #forked()} (its {@code anon_vma_chain} also links the parent's).
 *
 * <h2>What it changes</h2>
 * Merging ({@link Area#canMergeBefore}, Linux's {@code is_mergeable_anon_vma()}): two areas with
 * different identities never merge; an area without one merges with one that has one, unless that
 * one is {@link #forked()} ({@code vma_had_uncowed_parents()}, Linux 6.16). And mprotect clears
 * VM_ACCOUNT on read-only anonymous memory only while it has none ({@link LayoutPlanner#protect}).
 *
 * <p>Compared by identity only. Immutable.
 */
public final class AnonVma {
    private final boolean forked;

    private AnonVma(boolean forked) {
        this.forked = forked;
    }

    /** A new identity, as a first fault makes ({@code anon_vma_alloc}). */
    public static AnonVma fresh() {
        return new AnonVma(false);
    }

    /**
     * What a fork's child gets for an area whose parent's identity is {@code parent}
     * ({@code anon_vma_fork}): null for null, else a new, forked identity.
     */
    public static AnonVma forkedFrom(AnonVma parent) {
        return parent == null ? null : new AnonVma(true);
    }

    /**
     * Whether the area came from a fork of an area that had anonymous memory: its chain is not
     * singular, so it neither adopts a neighbour's identity nor lends its own.
     */
    public boolean forked() {
        return forked;
    }

    /**
     * Linux's {@code is_mergeable_anon_vma()}: the same identity (or both none), or one side none and
     * the other not forked.
     */
    public static boolean mergeable(AnonVma a, AnonVma b) {
        if (a == b) {
            return true;
        }
        if (a == null) {
            return !b.forked;
        }
        return b == null && !a.forked;
    }

    @Override
    public String toString() {
        return (forked ? "forked-anon@" : "anon@") + Integer.toHexString(System.identityHashCode(this));
    }
}
