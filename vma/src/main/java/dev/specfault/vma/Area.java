package dev.specfault.vma;

/**
 * One mapping's layout: an immutable value with no identity of its own, shared by both designs (the
 * speculative design wraps it in a {@link Vma} record, the locked design keeps it in its
 * {@link VmMap}).
 *
 * <h2>Fields</h2>
 * <ul>
 *   <li>{@code [start, end)}: page aligned, {@code 0 <= start < end}.</li>
 *   <li>{@code prot}: {@link Prot} bits; {@code flags}: {@link VmaFlags} bits.</li>
 *   <li>{@code backing}: the file object (compared by identity), null for anonymous memory.</li>
 *   <li>{@code pgoff}: Linux {@code vm_pgoff}, in pages: the file page that {@code start} maps; for
 *   anonymous memory {@code start >> 12} at creation and carried unchanged through splits
 *   ({@link #withRange} adjusts it) and moves, so that two pieces of one anonymous mapping stay
 *   mergeable and a moved one does not merge with its new neighbours.</li>
 *   <li>{@code anon}: the identity of the area's anonymous memory ({@link AnonVma}, Linux's
 *   {@code anon_vma}), compared by identity; null until a fault puts an anonymous page in the area.</li>
 * </ul>
 *
 * <h2>Equality</h2>
 * {@link #equals} and {@link #hashCode} compare {@code backing} and {@code anon} by <em>identity</em>
 * (not {@code equals()}), as merging does: two areas are equal when they describe the same memory.
 *
 * <h2>Merging (what was chosen, and why)</h2>
 * {@link #canMergeBefore} follows Linux's {@code is_mergeable_vma()} and
 * {@code can_vma_merge_before/after()} as far as these fields go: adjacent, equal {@code prot} and
 * {@code flags} (GROWSDOWN, NOHUGEPAGE, NEEDS_COPY included — Linux compares {@code vm_flags} whole, so two
 * adjacent growsdown areas with contiguous offsets do merge), the same backing object and
 * contiguous {@code pgoff}, and anonymous identities that {@link AnonVma#mergeable} accepts
 * ({@code is_mergeable_anon_vma()}: the same one, or none on one side and an unforked one on the
 * other; the merged area keeps the one that is set). VM_ACCOUNT is one of the flags
 * ({@link VmaFlags#ACCOUNT}), so memory once made writable stays apart from memory never made so.
 * The locked design keeps its amaps apart from the areas (UVM would refuse to join entries with
 * amaps): its layout is Linux's, as the contract asks.
 */
public record Area(long start, long end, int prot, int flags, Object backing, long pgoff, AnonVma anon) {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    public static final long PAGE_MASK = PAGE_SIZE - 1;

    /**
     * @throws IllegalArgumentException if the range is empty, negative or not page aligned, or a
     *                                  bit of prot or flags is unknown
     */
    public Area {
        if (((start | end) & PAGE_MASK) != 0 || start < 0 || end <= start) {
            throw new IllegalArgumentException("bad area range [0x" + Long.toHexString(start) + ", 0x"
                    + Long.toHexString(end) + ")");
        }
        if (!Prot.isValid(prot)) {
            throw new IllegalArgumentException("bad prot 0x" + Integer.toHexString(prot));
        }
        if (!VmaFlags.isValid(flags)) {
            throw new IllegalArgumentException("bad flags 0x" + Integer.toHexString(flags));
        }
    }

    /** An anonymous area with Linux's pgoff for a new anonymous mapping ({@code start >> 12}). */
    public static Area anonymous(long start, long end, int prot, int flags) {
        return new Area(start, end, prot, flags | VmaFlags.ANONYMOUS, null, start >>> PAGE_SHIFT, null);
    }

    /** Whether {@code a} is page aligned. */
    public static boolean isPageAligned(long a) {
        return (a & PAGE_MASK) == 0;
    }

    /** Bytes. */
    public long length() {
        return end - start;
    }

    /** Pages. */
    public long pages() {
        return (end - start) >>> PAGE_SHIFT;
    }

    public boolean contains(long addr) {
        return start <= addr && addr < end;
    }

    /** Whether {@code [s, e)} and this area share a byte. */
    public boolean overlaps(long s, long e) {
        return s < end && start < e;
    }

    /** The file (or anonymous) page offset that {@code addr} maps. */
    public long pgoffAt(long addr) {
        return pgoff + ((addr - start) >> PAGE_SHIFT);
    }

    /**
     * The same mapping over {@code [s, e)}: pgoff moves with the start (a split keeps each piece's
     * offsets; a growsdown expansion below {@code start} lowers it, as Linux's
     * {@code expand_downwards()} does).
     */
    public Area withRange(long s, long e) {
        return new Area(s, e, prot, flags, backing, pgoff + ((s - start) >> PAGE_SHIFT), anon);
    }

    public Area withProt(int p) {
        return new Area(start, end, p, flags, backing, pgoff, anon);
    }

    public Area withFlags(int f) {
        return new Area(start, end, prot, f, backing, pgoff, anon);
    }

    public Area withAnon(AnonVma a) {
        return new Area(start, end, prot, flags, backing, pgoff, a);
    }

    /**
     * Whether this area and {@code next} can be one area: {@code next} starts where this one ends
     * and everything else agrees (see the class comment).
     */
    public boolean canMergeBefore(Area next) {
        return end == next.start && prot == next.prot && flags == next.flags && backing == next.backing
                && pgoff + pages() == next.pgoff && AnonVma.mergeable(anon, next.anon);
    }

    /**
     * This area followed by {@code next}, as one, with the anonymous identity that is set.
     * => {@link #canMergeBefore}(next).
     */
    public Area mergedWith(Area next) {
        assert canMergeBefore(next) : this + " cannot merge with " + next;
        return new Area(start, next.end, prot, flags, backing, pgoff, anon != null ? anon : next.anon);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Area)) {
            return false;
        }
        final Area a = (Area) o;
        return start == a.start && end == a.end && pgoff == a.pgoff && prot == a.prot && flags == a.flags
                && backing == a.backing && anon == a.anon;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(start);
        h = 31 * h + Long.hashCode(end);
        h = 31 * h + Long.hashCode(pgoff);
        h = 31 * h + prot;
        h = 31 * h + flags;
        h = 31 * h + System.identityHashCode(backing);
        return 31 * h + System.identityHashCode(anon);
    }

    /** {@code /proc/PID/maps} style: {@code 7f0000001000-7f0000003000 rw-p 00000007 anon}. */
    @Override
    public String toString() {
        return Long.toHexString(start) + "-" + Long.toHexString(end) + " " + Prot.toString(prot)
                + (VmaFlags.isShared(flags) ? 's' : 'p') + " " + String.format("%08x", pgoff) + " "
                + VmaFlags.toString(flags)
                + (backing == null ? "" : " file@" + Integer.toHexString(System.identityHashCode(backing)))
                + (anon == null ? "" : " " + anon);
    }
}
