package dev.specfault.pmap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One CPU's walk cache: the non-leaf entries its page walks used, so that the next walk of a nearby
 * address starts below the root (Intel's paging-structure caches, SDM vol. 3A §4.10.3: PML4E, PDPTE
 * and PDE caches; Arm's walk cache of table descriptors). An entry maps (tag, level, the address
 * bits that select the entry at that level) to the table the entry points at, with the rights the
 * levels above it and the entry itself allow.
 *
 * <pre>
 *  level L (2..levels): SLOTS direct-mapped slots, key = V | tag &lt;&lt; 45 | va &gt;&gt;&gt; (12 + 9 (L - 1))
 *  value: the level-(L-1) table's frame, its incarnation when cached, rights (the walker's encoding)
 * </pre>
 *
 * <h2>Why it matters</h2>
 * A table page freed while some CPU still caches an entry that points at it is walked again by that
 * CPU: through whatever the frame holds by then. Linux therefore flushes the walk caches when it
 * frees page tables: x86's INVLPG and every PCID flush drop the whole PCID's paging-structure caches,
 * and lazy CPUs are switched away from the space (flush_tlb_func); arm64's mmu_gather invalidates
 * with {@code TLBI VAE1IS} (all levels) when tables were freed, {@code TLBI VALE1IS} (last level
 * only) when not. Without a walk cache an emulated flush of freed tables could not be wrong.
 *
 * <h2>The check</h2>
 * An entry remembers the incarnation of the table it points at ({@link TablePage}). A walk that
 * would start from an entry whose table has been freed or reused since is a hardware walk through a
 * freed page-table page: reported as a use-after-free (P3), the entry dropped, and the walk done
 * from the root. A table that is only detached (unlinked, its flush or grace period not over) is
 * still walked through, as hardware may.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [c] written by the owning CPU's bound thread inside an access, or by a remote operation
 *       holding the CPU (its TLB's writers); the arrays are written and read opaque, as the TLB's,
 *       so that the P0 checker may read them racily (exactly only in a quiet state)
 * </pre>
 */
public final class WalkCache {
    /** Slots per level. */
    public static final int SLOTS = 16;
    private static final long VALID = 1L << 63;
    private static final int TAG_SHIFT = 45;
    private static final long TAG_MASK = (1L << 18) - 1;
    private static final long PREFIX_MASK = (1L << TAG_SHIFT) - 1;

    private static final VarHandle ARR = MethodHandles.arrayElementVarHandle(long[].class);

    private final Machine machine;  // [I]
    private final int cpu;          // [I]
    private final int levels;       // [I]
    private final long[] keys;      // [c]
    private final long[] tables;    // [c]
    private final long[] incs;      // [c]
    private final long[] rights;    // [c]

    /** The result of the last successful {@link #lookup}. */
    private int hitLevel;           // [c]
    private long hitTable;          // [c]
    private long hitRights;         // [c]

    WalkCache(Machine machine, int cpu) {
        this.machine = machine;
        this.cpu = cpu;
        this.levels = machine.arch().levels();
        final int n = (levels - 1) * SLOTS;
        this.keys = new long[n];
        this.tables = new long[n];
        this.incs = new long[n];
        this.rights = new long[n];
    }

    private static int shift(int level) {
        return 12 + 9 * (level - 1);
    }

    private static long key(int tag, long prefix) {
        return VALID | ((tag & TAG_MASK) << TAG_SHIFT) | (prefix & PREFIX_MASK);
    }

    private static int slot(int level, long prefix) {
        return (level - 2) * SLOTS + (int) ((prefix ^ (prefix >>> 4)) & (SLOTS - 1));
    }

    /**
     * Finds the lowest cached entry for {@code va} under {@code tag}: true, with {@link #hitLevel()}
     * (the level of the cached entry; the walk goes on at the level below it), {@link #hitTable()}
     * and {@link #hitRights()}; false when nothing usable is cached.
     */
    public boolean lookup(int tag, long va) {
        for (int level = 2; level <= levels; level++) {
            final long prefix = va >>> shift(level);
            final int i = slot(level, prefix);
            if (get(keys, i) != key(tag, prefix)) {
                continue;
            }
            final long table = get(tables, i);
            final long inc = get(incs, i);
            final TablePage tp = machine.tablePage(table);
            if (tp.state() == TablePage.FREE || tp.incarnation() != inc) { // fill cached only table pages
                machine.useAfterFree().report("hardware walk through a freed page-table page: cpu" + cpu
                        + "'s walk cache held the level-" + level + " entry for 0x" + Long.toHexString(va)
                        + " (tag " + tag + ") pointing at the table at frame 0x" + Long.toHexString(table)
                        + ", incarnation " + inc + ", now " + tp);
                set(keys, i, 0);
                continue;
            }
            hitLevel = level;
            hitTable = table;
            hitRights = get(rights, i);
            return true;
        }
        return false;
    }

    public int hitLevel() {
        return hitLevel;
    }

    public long hitTable() {
        return hitTable;
    }

    public long hitRights() {
        return hitRights;
    }

    /**
     * Caches the entry at {@code level} (2..levels) a walk of {@code va} used: it points at the table
     * {@code child}, and the walk's rights through it are {@code r}.
     */
    public void fill(int tag, int level, long va, long child, long r) {
        final TablePage tp = machine.tablePage(child);
        if (tp == null) {
            return;
        }
        final long prefix = va >>> shift(level);
        final int i = slot(level, prefix);
        set(tables, i, child);
        set(incs, i, tp.incarnation());
        set(rights, i, r);
        set(keys, i, key(tag, prefix));
    }

    private static long get(long[] a, int i) {
        return (long) ARR.getOpaque(a, i);
    }

    private static void set(long[] a, int i, long v) {
        ARR.setOpaque(a, i, v);
    }

    /** Drops every entry of a tag (a PCID / ASID flush, x86 INVLPG). */
    public void invalidateTag(int tag) {
        final long t = tag & TAG_MASK;
        for (int i = 0; i < keys.length; i++) {
            final long k = get(keys, i);
            if (k != 0 && ((k >>> TAG_SHIFT) & TAG_MASK) == t) {
                set(keys, i, 0);
            }
        }
    }

    /** Drops everything. */
    public void invalidateAll() {
        for (int i = 0; i < keys.length; i++) {
            set(keys, i, 0);
        }
    }

    /**
     * Drops the entries of a tag that a walk of any page in [startVpn, endVpn) could use (arm64
     * {@code TLBI VAE1IS} over the range: all levels).
     */
    public void invalidateRange(int tag, long startVpn, long endVpn) {
        final long t = tag & TAG_MASK;
        for (int i = 0; i < keys.length; i++) {
            final long k = get(keys, i);
            if (k == 0 || ((k >>> TAG_SHIFT) & TAG_MASK) != t) {
                continue;
            }
            final int level = i / SLOTS + 2;
            final int pages = shift(level) - 12;
            final long first = (k & PREFIX_MASK) << pages;
            final long last = first + (1L << pages); // exclusive
            if (first < endVpn && startVpn < last) {
                set(keys, i, 0);
            }
        }
    }

    /** Drops the entries a walk of {@code va} would use (x86: a page fault invalidates them, SDM §4.10.4.1). */
    public void invalidateAt(int tag, long va) {
        for (int level = 2; level <= levels; level++) {
            final long prefix = va >>> shift(level);
            final int i = slot(level, prefix);
            if (get(keys, i) == key(tag, prefix)) {
                set(keys, i, 0);
            }
        }
    }

    /** Valid entries now (tests). */
    public int size() {
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (get(keys, i) != 0) {
                n++;
            }
        }
        return n;
    }

    /** Receives cached entries: the pages [firstVpn, endVpn) whose walks may start from it. */
    @FunctionalInterface
    public interface EntryVisitor {
        void visit(int tag, int level, long firstVpn, long endVpn, long table, long incarnation);
    }

    /** Visits every valid entry (opaque reads: exact only in a quiet state; re-confirm with {@link #holds}). */
    public void forEach(EntryVisitor v) {
        for (int i = 0; i < keys.length; i++) {
            final long k = get(keys, i);
            if (k == 0) {
                continue;
            }
            final int level = i / SLOTS + 2;
            final int pages = shift(level) - 12;
            final long first = (k & PREFIX_MASK) << pages;
            v.visit((int) ((k >>> TAG_SHIFT) & TAG_MASK), level, first, first + (1L << pages), get(tables, i), get(incs, i));
        }
    }

    /** Whether the entry of (tag, level) for the page {@code firstVpn} still points at {@code table}, {@code incarnation}. */
    public boolean holds(int tag, int level, long firstVpn, long table, long incarnation) {
        final long prefix = (firstVpn << 12) >>> shift(level);
        final int i = slot(level, prefix);
        return get(keys, i) == key(tag, prefix) && get(tables, i) == table && get(incs, i) == incarnation;
    }
}
