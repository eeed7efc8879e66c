package dev.specfault.pmap.x86;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Prot;
import dev.specfault.pmap.PteFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * x86-64 paging-structure entries (Intel SDM vol. 3A §4.5, tables 4-14 to 4-20), 4 KiB pages and
 * the non-leaf entries above them; the same layout at every level, with PS (bit 7) making a PDE or
 * PDPTE a 2 MiB or 1 GiB leaf, where PAT moves to bit 12.
 *
 * <pre>
 *  63  62..59 58..52 51 .................................. 12 11..9  8   7    6   5   4   3   2   1   0
 * ┌──┬──────┬──────┬─────────────────────────────────────────┬─────┬───┬────┬───┬───┬───┬───┬───┬───┬───┐
 * │NX│ PKEY │ AVL  │ physical address of the frame (bits 51:12) │ AVL │ G │PAT │ D │ A │PCD│PWT│US │RW │ P │
 * └──┴──────┴──────┴─────────────────────────────────────────┴─────┴───┴─PS─┴───┴───┴───┴───┴───┴───┴───┘
 * </pre>
 * P present, RW writable, US user, PWT/PCD cache control, A accessed, D dirty (leaf), PAT (4 KiB
 * leaf) / PS page size (PDE, PDPTE), G global, NX no-execute (EFER.NXE=1 assumed). Linux keeps a
 * PROT_NONE leaf as P=0 with {@code _PAGE_PROTNONE} = bit 8 (G's position), so that the kernel still
 * knows the frame while the hardware faults.
 */
public final class X86PteFormat implements PteFormat {
    public static final X86PteFormat INSTANCE = new X86PteFormat();

    public static final long P = 1L;
    public static final long RW = 1L << 1;
    public static final long US = 1L << 2;
    public static final long PWT = 1L << 3;
    public static final long PCD = 1L << 4;
    public static final long A = 1L << 5;
    public static final long D = 1L << 6;
    /** PAT in a 4 KiB PTE; PS (page size) in a PDE/PDPTE. */
    public static final long PAT = 1L << 7;
    public static final long PS = 1L << 7;
    public static final long G = 1L << 8;
    /** Linux _PAGE_PROTNONE: bit 8 in a non-present leaf. */
    public static final long PROTNONE = 1L << 8;
    public static final int AVL_LOW_SHIFT = 9;
    public static final long AVL_LOW = 7L << AVL_LOW_SHIFT;
    public static final int ADDR_SHIFT = 12;
    /** Address bits 51:12. */
    public static final long ADDR_MASK = ((1L << 52) - 1) & ~((1L << ADDR_SHIFT) - 1);
    public static final int AVL_HIGH_SHIFT = 52;
    public static final long AVL_HIGH = 0x7fL << AVL_HIGH_SHIFT;
    public static final int PKEY_SHIFT = 59;
    public static final long PKEY = 0xfL << PKEY_SHIFT;
    public static final long NX = 1L << 63;

    /**
     * CR3 with CR4.PCIDE=1 (SDM vol. 3A §4.5, table 4-13):
     * <pre>
     *  63        62..52   51 ............................ 12 11 ........ 0
     * ┌────────┬────────┬──────────────────────────────────┬──────────────┐
     * │NOFLUSH*│ res. 0 │ physical address of PML4/PML5    │     PCID     │
     * └────────┴────────┴──────────────────────────────────┴──────────────┘
     * </pre>
     * *Bit 63 is not stored: on a MOV to CR3 it says "keep this PCID's TLB entries".
     */
    public static final long CR3_PCID = 0xfffL;
    public static final long CR3_BASE = ADDR_MASK;
    public static final long CR3_NOFLUSH = 1L << 63;

    private static final List<String> FIELDS =
            List.of("P", "RW", "US", "PWT", "PCD", "A", "D", "PAT", "G", "NX", "frame");
    /**
     * The bits the fields above leave out, which decode prints only when set, so that every value
     * round-trips: AVL (11:9, available to software: Linux's _PAGE_SOFTW1..3), AVL_HIGH (58:52,
     * available), PK (62:59, the protection key).
     */
    private static final List<String> EXTRA_FIELDS = List.of("AVL", "AVL_HIGH", "PK");


    private X86PteFormat() {
    }

    @Override
    public Arch arch() {
        return Arch.X86_64;
    }

    @Override
    public long table(long frame) {
        // Linux _PAGE_TABLE: P|RW|US|A|D (D is ignored in a non-leaf entry); rights are decided at the leaf.
        return (frame << ADDR_SHIFT) & ADDR_MASK | P | RW | US | A | D;
    }

    @Override
    public long leaf(long frame, int prot, int flags) {
        long e = (frame << ADDR_SHIFT) & ADDR_MASK;
        if (prot == Prot.NONE) {
            return e | PROTNONE | ((flags & Prot.YOUNG) != 0 ? A : 0) | ((flags & Prot.DIRTY) != 0 ? D : 0);
        }
        e |= P | US;
        if ((prot & Prot.WRITE) != 0) {
            e |= RW;
        }
        if ((prot & Prot.EXEC) == 0) {
            e |= NX;
        }
        if ((flags & Prot.YOUNG) != 0) {
            e |= A;
        }
        if ((flags & Prot.DIRTY) != 0) {
            e |= D;
        }
        if ((flags & Prot.GLOBAL) != 0) {
            e |= G;
        }
        return e;
    }

    @Override
    public boolean present(long e) {
        return (e & P) != 0;
    }

    @Override
    public boolean mapsFrame(long e) {
        return (e & P) != 0 || (e & PROTNONE) != 0;
    }

    @Override
    public boolean protNone(long e) {
        return (e & P) == 0 && (e & PROTNONE) != 0;
    }

    @Override
    public boolean isTable(long e, int level) {
        return level > 1 && (e & P) != 0 && (e & PS) == 0;
    }

    @Override
    public long frame(long e) {
        return (e & ADDR_MASK) >>> ADDR_SHIFT;
    }

    @Override
    public boolean writable(long e) {
        return (e & (P | RW)) == (P | RW);
    }

    @Override
    public boolean dirty(long e) {
        return (e & D) != 0;
    }

    @Override
    public boolean young(long e) {
        return (e & A) != 0;
    }

    @Override
    public boolean user(long e) {
        return (e & US) != 0;
    }

    @Override
    public boolean executable(long e) {
        return (e & P) != 0 && (e & NX) == 0;
    }

    @Override
    public int prot(long e) {
        if ((e & P) == 0) {
            return Prot.NONE;
        }
        return Prot.READ | ((e & RW) != 0 ? Prot.WRITE : 0) | ((e & NX) == 0 ? Prot.EXEC : 0);
    }

    @Override
    public long wrprotect(long e) {
        return e & ~RW;
    }

    @Override
    public long mkwrite(long e) {
        return e | RW;
    }

    @Override
    public long mkdirty(long e) {
        return e | D;
    }

    @Override
    public long mkclean(long e) {
        return e & ~D;
    }

    @Override
    public long mkyoung(long e) {
        return e | A;
    }

    @Override
    public long mkold(long e) {
        return e & ~A;
    }

    @Override
    public long maskHardwareUpdates(long e) {
        return e & ~(A | D);
    }

    @Override
    public boolean needsBreakBeforeMake(long from, long to) {
        return false; // x86 allows any in-place change; Linux still clears and flushes for COW
    }

    @Override
    public long rootRegister(long rootFrame, int pcid) {
        if (pcid < 0 || pcid > CR3_PCID) {
            throw new IllegalArgumentException("a PCID is 12 bits: " + pcid);
        }
        if (rootFrame < 0 || rootFrame >= 1L << 40) {
            throw new IllegalArgumentException("frame does not fit CR3 bits 51:12: 0x" + Long.toHexString(rootFrame));
        }
        return rootFrame << ADDR_SHIFT | pcid;
    }

    @Override
    public long rootFrame(long cr3) {
        return (cr3 & CR3_BASE) >>> ADDR_SHIFT;
    }

    @Override
    public int rootTag(long cr3) {
        return (int) (cr3 & CR3_PCID);
    }

    @Override
    public List<String> fieldNames() {
        return FIELDS;
    }

    @Override
    public List<String> extraFieldNames() {
        return EXTRA_FIELDS;
    }

    @Override
    public LinkedHashMap<String, Long> decode(long e) {
        final LinkedHashMap<String, Long> m = new LinkedHashMap<>();
        m.put("P", e & 1);
        m.put("RW", (e >>> 1) & 1);
        m.put("US", (e >>> 2) & 1);
        m.put("PWT", (e >>> 3) & 1);
        m.put("PCD", (e >>> 4) & 1);
        m.put("A", (e >>> 5) & 1);
        m.put("D", (e >>> 6) & 1);
        m.put("PAT", (e >>> 7) & 1);
        m.put("G", (e >>> 8) & 1);
        m.put("NX", (e >>> 63) & 1);
        m.put("frame", frame(e));
        putIfSet(m, "AVL", (e & AVL_LOW) >>> AVL_LOW_SHIFT);
        putIfSet(m, "AVL_HIGH", (e & AVL_HIGH) >>> AVL_HIGH_SHIFT);
        putIfSet(m, "PK", (e & PKEY) >>> PKEY_SHIFT);
        return m;
    }

    @Override
    public long encode(Map<String, Long> fields) {
        long e = 0;
        for (Map.Entry<String, Long> f : fields.entrySet()) {
            final long v = f.getValue();
            switch (f.getKey()) {
                case "P": e |= bit(f.getKey(), v, 0); break;
                case "RW": e |= bit(f.getKey(), v, 1); break;
                case "US": e |= bit(f.getKey(), v, 2); break;
                case "PWT": e |= bit(f.getKey(), v, 3); break;
                case "PCD": e |= bit(f.getKey(), v, 4); break;
                case "A": e |= bit(f.getKey(), v, 5); break;
                case "D": e |= bit(f.getKey(), v, 6); break;
                case "PAT": e |= bit(f.getKey(), v, 7); break;
                case "G": e |= bit(f.getKey(), v, 8); break;
                case "NX": e |= bit(f.getKey(), v, 63); break;
                case "AVL": e |= field(f.getKey(), v, AVL_LOW_SHIFT, 3); break;
                case "AVL_HIGH": e |= field(f.getKey(), v, AVL_HIGH_SHIFT, 7); break;
                case "PK": e |= field(f.getKey(), v, PKEY_SHIFT, 4); break;
                case "frame":
                    if (v < 0 || v >= 1L << 40) {
                        throw new IllegalArgumentException("frame does not fit bits 51:12: 0x" + Long.toHexString(v));
                    }
                    e |= v << ADDR_SHIFT;
                    break;
                default:
                    throw new IllegalArgumentException("unknown x86 PTE field '" + f.getKey() + "' (fields: "
                            + String.join(" ", FIELDS) + " " + String.join(" ", EXTRA_FIELDS) + ")");
            }
        }
        return e;
    }

    /** Puts a field that is not one of the listed ones only when it is not zero. */
    static void putIfSet(Map<String, Long> m, String name, long v) {
        if (v != 0) {
            m.put(name, v);
        }
    }

    static long field(String name, long v, int shift, int bits) {
        if (v < 0 || v >= 1L << bits) {
            throw new IllegalArgumentException(name + " is " + bits + " bits: " + v);
        }
        return v << shift;
    }

    static long bit(String name, long v, int pos) {
        if (v != 0 && v != 1) {
            throw new IllegalArgumentException(name + " is one bit: " + v);
        }
        return v << pos;
    }
}
