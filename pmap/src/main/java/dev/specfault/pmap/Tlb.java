package dev.specfault.pmap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One CPU's TLB: a 4-way set-associative cache of 4 KiB translations, tagged with the PCID (x86)
 * or ASID (arm64) they were filled under.
 *
 * <pre>
 *  key:  63 V | 62..45 tag (PCID / ASID) | 44..0 virtual page number
 *  val:  a WalkResult translation (frame, W U X D G, size) as the walk returned it
 *  set = mix(vpn) &amp; (sets - 1); 4 ways; round-robin victim per set
 * </pre>
 * Huge translations are cached as the 4 KiB piece that was used (a splintered entry), which real
 * TLBs may also do. User pages are never global, so entries match on (tag, vpn) only.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [c] written only by the owning CPU's bound thread (opaque stores); read opaque by checkers
 *       (P0/P1/P5/P7), exactly only in a quiet state
 * </pre>
 */
public final class Tlb {
    public static final int WAYS = 4;
    private static final long VALID = 1L << 63;
    private static final int TAG_SHIFT = 45;
    private static final long VPN_MASK = (1L << TAG_SHIFT) - 1;
    private static final long TAG_MASK = (1L << 18) - 1;

    private static final VarHandle ARR = MethodHandles.arrayElementVarHandle(long[].class);

    private final int sets;          // [I]
    private final long[] keys;       // [c]
    private final long[] vals;       // [c]
    private final byte[] victim;     // [c]
    /** The CPU's walk cache, flushed with every whole-tag and whole-TLB invalidation; null in bare tests. */
    private final WalkCache walks;   // [I]

    /**
     * @param entries a power of two, at least {@link #WAYS}
     */
    public Tlb(int entries) {
        this(entries, null);
    }

    /**
     * A TLB with the CPU's walk cache beside it: {@link #invalidateTag} and {@link #invalidateAll}
     * drop its entries too (a PCID / ASID flush and a full flush reach every cached translation and
     * walk); ranged invalidations leave it to the architecture ({@link #walks()}).
     */
    Tlb(int entries, WalkCache walks) {
        if (entries < WAYS || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("TLB entries must be a power of two >= " + WAYS + ": " + entries);
        }
        this.sets = entries / WAYS;
        this.keys = new long[entries];
        this.vals = new long[entries];
        this.victim = new byte[sets];
        this.walks = walks;
    }

    /** The walk cache beside this TLB, or null. */
    public WalkCache walks() {
        return walks;
    }

    public int entries() {
        return keys.length;
    }

    private static long key(int tag, long vpn) {
        return VALID | ((tag & TAG_MASK) << TAG_SHIFT) | (vpn & VPN_MASK);
    }

    private int set(long vpn) {
        final long h = vpn ^ (vpn >>> 7) ^ (vpn >>> 17);
        return (int) h & (sets - 1);
    }

    private long keyAt(int i) {
        return (long) ARR.getOpaque(keys, i);
    }

    private long valAt(int i) {
        return (long) ARR.getOpaque(vals, i);
    }

    private void setAt(int i, long k, long v) {
        ARR.setOpaque(vals, i, v);
        ARR.setOpaque(keys, i, k);
    }

    /** The cached translation of (tag, vpn), or 0 for a miss (no translation encodes as 0: frame 0 is never mapped). */
    public long lookup(int tag, long vpn) {
        final long k = key(tag, vpn);
        final int base = set(vpn) * WAYS;
        for (int w = 0; w < WAYS; w++) {
            if (keyAt(base + w) == k) {
                return valAt(base + w);
            }
        }
        return 0;
    }

    /** Whether (tag, vpn) is cached with exactly this translation (checkers re-confirm with it). */
    public boolean contains(int tag, long vpn, long translation) {
        return lookup(tag, vpn) == translation;
    }

    /**
     * Caches a translation, replacing the same key wherever it sits in its set, else filling a free
     * way, else a victim. The key is searched in every way first: a fill that took an earlier free
     * way would leave the old translation in a later one, shadowed until round-robin replacement
     * evicts the new one, and then used again (speculative fills do not look up before they insert).
     */
    public void insert(int tag, long vpn, long translation) {
        assert !WalkResult.isFault(translation) && WalkResult.frame(translation) != 0;
        final long k = key(tag, vpn);
        final int s = set(vpn);
        final int base = s * WAYS;
        int free = -1;
        for (int w = 0; w < WAYS; w++) {
            final long kk = keyAt(base + w);
            if (kk == k) {
                setAt(base + w, k, translation);
                return;
            }
            if (kk == 0 && free < 0) {
                free = w;
            }
        }
        if (free >= 0) {
            setAt(base + free, k, translation);
            return;
        }
        final int w = victim[s];
        victim[s] = (byte) ((w + 1) & (WAYS - 1));
        setAt(base + w, k, translation);
    }

    /** Invalidates one page of a tag (INVLPG / TLBI VAE1); returns entries dropped. */
    public int invalidatePage(int tag, long vpn) {
        final long k = key(tag, vpn);
        final int base = set(vpn) * WAYS;
        int n = 0;
        for (int w = 0; w < WAYS; w++) {
            if (keyAt(base + w) == k) {
                setAt(base + w, 0, 0);
                n++;
            }
        }
        return n;
    }

    /** Invalidates pages [startVpn, endVpn) of a tag; returns entries dropped. */
    public int invalidateRange(int tag, long startVpn, long endVpn) {
        if (endVpn - startVpn <= keys.length) {
            int n = 0;
            for (long v = startVpn; v < endVpn; v++) {
                n += invalidatePage(tag, v);
            }
            return n;
        }
        int n = 0;
        final long t = (tag & TAG_MASK);
        for (int i = 0; i < keys.length; i++) {
            final long k = keyAt(i);
            if (k != 0 && ((k >>> TAG_SHIFT) & TAG_MASK) == t) {
                final long vpn = k & VPN_MASK;
                if (vpn >= startVpn && vpn < endVpn) {
                    setAt(i, 0, 0);
                    n++;
                }
            }
        }
        return n;
    }

    /** Invalidates every entry of a tag (flush of a PCID / TLBI ASIDE1); returns entries dropped. */
    public int invalidateTag(int tag) {
        if (walks != null) {
            walks.invalidateTag(tag);
        }
        int n = 0;
        final long t = (tag & TAG_MASK);
        for (int i = 0; i < keys.length; i++) {
            final long k = keyAt(i);
            if (k != 0 && ((k >>> TAG_SHIFT) & TAG_MASK) == t) {
                setAt(i, 0, 0);
                n++;
            }
        }
        return n;
    }

    /** Invalidates everything; returns entries dropped. */
    public int invalidateAll() {
        if (walks != null) {
            walks.invalidateAll();
        }
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keyAt(i) != 0) {
                setAt(i, 0, 0);
                n++;
            }
        }
        return n;
    }

    /** Receives cached entries. */
    @FunctionalInterface
    public interface EntryVisitor {
        void visit(int tag, long vpn, long translation);
    }

    /** Visits every valid entry (opaque reads; exact only in a quiet state). */
    public void forEach(EntryVisitor v) {
        for (int i = 0; i < keys.length; i++) {
            final long k = keyAt(i);
            final long val = valAt(i);
            if (k != 0 && val != 0) {
                v.visit((int) ((k >>> TAG_SHIFT) & TAG_MASK), k & VPN_MASK, val);
            }
        }
    }
}
