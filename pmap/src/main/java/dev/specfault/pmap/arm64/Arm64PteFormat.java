package dev.specfault.pmap.arm64;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Prot;
import dev.specfault.pmap.PteFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * arm64 VMSAv8-64 stage-1 descriptors, 4 KiB granule, 48-bit output addresses (Arm ARM D8.3).
 *
 * <pre>
 *  page / block descriptor (level 3 page: bit 1 = 1; level 1–2 block: bit 1 = 0)
 *  63..59 58..55 54  53  52  51  50 49..48 47 ........................ 12 11  10  9..8 7..6 5  4..2     1    0
 * ┌──────┬──────┬───┬───┬───┬───┬──┬─────┬──────────────────────────────┬───┬───┬────┬────┬──┬───────┬────┬─────┐
 * │ ign. │  SW  │UXN│PXN│ C │DBM│GP│ res │ output address (bits 47:12)  │nG │AF │ SH │ AP │NS│AttrIdx│page│valid│
 * └──────┴──────┴───┴───┴───┴───┴──┴─────┴──────────────────────────────┴───┴───┴────┴────┴──┴───────┴────┴─────┘
 *
 *  table descriptor (levels 0–2, bit 1 = 1)
 *    63 NSTable, 62..61 APTable, 60 UXNTable, 59 PXNTable, 47:12 next-level table address, 1 = 1, 0 valid
 * </pre>
 * AP[2:1] (bits 7:6): AP[1] = EL0 may access, AP[2] = read-only. AF access flag; nG not global; DBM
 * dirty bit modifier (hardware may clear AP[2] on a write: the entry is writable and clean while
 * AP[2] = 1). SW bits as Linux uses them: 55 PTE_DIRTY (software dirty), 56 PTE_SPECIAL,
 * 58 PTE_PROT_NONE (a non-valid leaf that keeps its frame). Linux's PTE_WRITE is DBM itself.
 *
 * <p>Linux's conventions, followed here: a writable page has DBM=1; it is clean while AP[2]=1 and
 * dirty when AP[2]=0 (hardware dirty) or PTE_DIRTY=1 (software dirty, kept when write-protected).
 * Normal memory: AttrIndx 0 (MAIR MT_NORMAL), SH inner-shareable (0b11); user pages nG=1, PXN=1.
 */
public final class Arm64PteFormat implements PteFormat {
    public static final Arm64PteFormat INSTANCE = new Arm64PteFormat();

    public static final long VALID = 1L;
    /** Level 0–2: 1 = table, 0 = block; level 3: must be 1 (page). */
    public static final long TABLE_OR_PAGE = 1L << 1;
    public static final int ATTRINDX_SHIFT = 2;
    public static final long ATTRINDX = 7L << ATTRINDX_SHIFT;
    public static final long NS = 1L << 5;
    /** AP[1]: EL0 access. */
    public static final long AP_USER = 1L << 6;
    /** AP[2]: read-only (Linux PTE_RDONLY). */
    public static final long AP_RDONLY = 1L << 7;
    public static final int AP_SHIFT = 6;
    public static final int SH_SHIFT = 8;
    public static final long SH = 3L << SH_SHIFT;
    public static final long SH_INNER = 3L << SH_SHIFT;
    public static final long AF = 1L << 10;
    public static final long NG = 1L << 11;
    public static final int OA_SHIFT = 12;
    /** Output address bits 47:12. */
    public static final long OA_MASK = ((1L << 48) - 1) & ~((1L << OA_SHIFT) - 1);
    public static final long GP = 1L << 50;
    public static final long DBM = 1L << 51;
    public static final long CONTIG = 1L << 52;
    public static final long PXN = 1L << 53;
    public static final long UXN = 1L << 54;
    /** Linux PTE_DIRTY (software). */
    public static final long SW_DIRTY = 1L << 55;
    public static final long SW_SPECIAL = 1L << 56;
    /** Linux PTE_PROT_NONE (software, in a non-valid leaf). */
    public static final long SW_PROT_NONE = 1L << 58;
    public static final long PXN_TABLE = 1L << 59;
    public static final long UXN_TABLE = 1L << 60;
    /** APTable[0] (bit 61): no EL0 access below; APTable[1] (bit 62): no write below. */
    public static final long APTABLE_NO_EL0 = 1L << 61;
    public static final long APTABLE_RDONLY = 1L << 62;
    public static final long NS_TABLE = 1L << 63;

    /**
     * TTBR0_EL1 with TCR_EL1.A1 = 0 (the ASID comes from TTBR0), a 48-bit output address and a
     * 4 KiB-aligned level-0 table (Arm ARM D19.2):
     * <pre>
     *  63 ........... 48 47 ............................ 12 11 ..... 1   0
     * ┌─────────────────┬─────────────────────────────────┬───────────┬─────┐
     * │      ASID       │ BADDR: level-0 table address    │  BADDR=0  │ CnP │
     * └─────────────────┴─────────────────────────────────┴───────────┴─────┘
     * </pre>
     */
    public static final int TTBR_ASID_SHIFT = 48;
    public static final long TTBR_ASID = 0xffffL << TTBR_ASID_SHIFT;
    public static final long TTBR_BADDR = OA_MASK;
    public static final long TTBR_CNP = 1L;

    private static final List<String> FIELDS =
            List.of("valid", "page", "AttrIndx", "AP", "SH", "AF", "nG", "DBM", "PXN", "UXN", "frame");
    /**
     * The bits the fields above leave out, which decode prints only when set, so that every value
     * round-trips (Arm ARM D8.3, stage 1 page descriptor): NS (5), RES0 (49:48 with a 48-bit output
     * address), GP (50, guarded page), Contiguous (52), SW (58:55, reserved for software use:
     * Linux's PTE_DIRTY, PTE_SPECIAL, PTE_PROT_NONE), PBHA (62:59, page-based hardware attributes),
     * IGNORED (63).
     */
    private static final List<String> EXTRA_FIELDS = List.of("NS", "RES0", "GP", "Contiguous", "SW", "PBHA", "IGNORED");

    private Arm64PteFormat() {
    }

    @Override
    public Arch arch() {
        return Arch.ARM64;
    }

    @Override
    public long table(long frame) {
        return (frame << OA_SHIFT) & OA_MASK | TABLE_OR_PAGE | VALID;
    }

    @Override
    public long leaf(long frame, int prot, int flags) {
        long e = (frame << OA_SHIFT) & OA_MASK | TABLE_OR_PAGE | SH_INNER | PXN | AP_USER;
        if ((flags & Prot.GLOBAL) == 0) {
            e |= NG;
        }
        if ((flags & Prot.YOUNG) != 0) {
            e |= AF;
        }
        if ((prot & Prot.EXEC) == 0) {
            e |= UXN;
        }
        final boolean dirty = (flags & Prot.DIRTY) != 0;
        if (prot == Prot.NONE) {
            // PAGE_NONE: not valid, PTE_PROT_NONE, read-only; keeps the frame and dirtiness.
            return (e & ~AP_USER) | SW_PROT_NONE | AP_RDONLY | (dirty ? SW_DIRTY : 0);
        }
        e |= VALID;
        if ((prot & Prot.WRITE) != 0) {
            e |= DBM; // PTE_WRITE
            e |= dirty ? SW_DIRTY : AP_RDONLY;
        } else {
            e |= AP_RDONLY | (dirty ? SW_DIRTY : 0);
        }
        return e;
    }

    @Override
    public boolean present(long e) {
        return (e & VALID) != 0;
    }

    @Override
    public boolean mapsFrame(long e) {
        return (e & VALID) != 0 || (e & SW_PROT_NONE) != 0;
    }

    @Override
    public boolean protNone(long e) {
        return (e & VALID) == 0 && (e & SW_PROT_NONE) != 0;
    }

    @Override
    public boolean isTable(long e, int level) {
        return level > 1 && (e & (VALID | TABLE_OR_PAGE)) == (VALID | TABLE_OR_PAGE);
    }

    @Override
    public long frame(long e) {
        return (e & OA_MASK) >>> OA_SHIFT;
    }

    @Override
    public boolean writable(long e) {
        return (e & VALID) != 0 && ((e & AP_RDONLY) == 0 || (e & DBM) != 0);
    }

    /** Hardware dirty: DBM=1 and AP[2]=0 (Linux pte_hw_dirty). */
    public static boolean hwDirty(long e) {
        return (e & DBM) != 0 && (e & AP_RDONLY) == 0;
    }

    @Override
    public boolean dirty(long e) {
        return hwDirty(e) || (e & SW_DIRTY) != 0;
    }

    @Override
    public boolean young(long e) {
        return (e & AF) != 0;
    }

    @Override
    public boolean user(long e) {
        return (e & AP_USER) != 0;
    }

    @Override
    public boolean executable(long e) {
        return (e & VALID) != 0 && (e & UXN) == 0;
    }

    @Override
    public int prot(long e) {
        if ((e & VALID) == 0) {
            return Prot.NONE;
        }
        return Prot.READ | (writable(e) ? Prot.WRITE : 0) | ((e & UXN) == 0 ? Prot.EXEC : 0);
    }

    @Override
    public long wrprotect(long e) {
        // Linux pte_wrprotect: hardware dirtiness moves to PTE_DIRTY, then PTE_WRITE off, RDONLY on.
        if (hwDirty(e)) {
            e |= SW_DIRTY;
        }
        return (e & ~DBM) | AP_RDONLY;
    }

    @Override
    public long mkwrite(long e) {
        e |= DBM;
        return (e & SW_DIRTY) != 0 ? e & ~AP_RDONLY : e;
    }

    @Override
    public long mkdirty(long e) {
        e |= SW_DIRTY;
        return (e & DBM) != 0 ? e & ~AP_RDONLY : e;
    }

    @Override
    public long mkclean(long e) {
        return (e & ~SW_DIRTY) | AP_RDONLY;
    }

    @Override
    public long mkyoung(long e) {
        return e | AF;
    }

    @Override
    public long mkold(long e) {
        return e & ~AF;
    }

    @Override
    public long maskHardwareUpdates(long e) {
        // The hardware sets AF, and clears AP[2] of a DBM=1 entry on a write.
        return (e & DBM) != 0 ? e & ~(AF | AP_RDONLY) : e & ~AF;
    }

    @Override
    public boolean needsBreakBeforeMake(long from, long to) {
        if ((from & VALID) == 0 || (to & VALID) == 0) {
            return false;
        }
        final long attrs = OA_MASK | ATTRINDX | SH | NG | CONTIG;
        return (from & attrs) != (to & attrs);
    }

    @Override
    public long rootRegister(long rootFrame, int asid) {
        if (asid < 0 || asid > 0xffff) {
            throw new IllegalArgumentException("an ASID is at most 16 bits: " + asid);
        }
        if (rootFrame < 0 || rootFrame >= 1L << 36) {
            throw new IllegalArgumentException("frame does not fit TTBR0 bits 47:12: 0x" + Long.toHexString(rootFrame));
        }
        return (long) asid << TTBR_ASID_SHIFT | rootFrame << OA_SHIFT;
    }

    @Override
    public long rootFrame(long ttbr0) {
        return (ttbr0 & TTBR_BADDR) >>> OA_SHIFT;
    }

    @Override
    public int rootTag(long ttbr0) {
        return (int) ((ttbr0 & TTBR_ASID) >>> TTBR_ASID_SHIFT);
    }

    @Override
    public List<String> fieldNames() {
        return FIELDS;
    }

    @Override
    public List<String> extraFieldNames() {
        return EXTRA_FIELDS;
    }

    /** Puts a field that is not one of the listed ones only when it is not zero. */
    private static void putIfSet(Map<String, Long> m, String name, long v) {
        if (v != 0) {
            m.put(name, v);
        }
    }

    @Override
    public LinkedHashMap<String, Long> decode(long e) {
        final LinkedHashMap<String, Long> m = new LinkedHashMap<>();
        m.put("valid", e & 1);
        m.put("page", (e >>> 1) & 1);
        m.put("AttrIndx", (e >>> ATTRINDX_SHIFT) & 7);
        m.put("AP", (e >>> AP_SHIFT) & 3);
        m.put("SH", (e >>> SH_SHIFT) & 3);
        m.put("AF", (e >>> 10) & 1);
        m.put("nG", (e >>> 11) & 1);
        m.put("DBM", (e >>> 51) & 1);
        m.put("PXN", (e >>> 53) & 1);
        m.put("UXN", (e >>> 54) & 1);
        m.put("frame", frame(e));
        putIfSet(m, "NS", (e >>> 5) & 1);
        putIfSet(m, "RES0", (e >>> 48) & 3);
        putIfSet(m, "GP", (e >>> 50) & 1);
        putIfSet(m, "Contiguous", (e >>> 52) & 1);
        putIfSet(m, "SW", (e >>> 55) & 0xf);
        putIfSet(m, "PBHA", (e >>> 59) & 0xf);
        putIfSet(m, "IGNORED", (e >>> 63) & 1);
        return m;
    }

    @Override
    public long encode(Map<String, Long> fields) {
        long e = 0;
        for (Map.Entry<String, Long> f : fields.entrySet()) {
            final long v = f.getValue();
            final String k = f.getKey();
            switch (k) {
                case "valid": e |= field(k, v, 0, 1); break;
                case "page": e |= field(k, v, 1, 1); break;
                case "AttrIndx": e |= field(k, v, ATTRINDX_SHIFT, 3); break;
                case "AP": e |= field(k, v, AP_SHIFT, 2); break;
                case "SH": e |= field(k, v, SH_SHIFT, 2); break;
                case "AF": e |= field(k, v, 10, 1); break;
                case "nG": e |= field(k, v, 11, 1); break;
                case "DBM": e |= field(k, v, 51, 1); break;
                case "PXN": e |= field(k, v, 53, 1); break;
                case "UXN": e |= field(k, v, 54, 1); break;
                case "NS": e |= field(k, v, 5, 1); break;
                case "RES0": e |= field(k, v, 48, 2); break;
                case "GP": e |= field(k, v, 50, 1); break;
                case "Contiguous": e |= field(k, v, 52, 1); break;
                case "SW": e |= field(k, v, 55, 4); break;
                case "PBHA": e |= field(k, v, 59, 4); break;
                case "IGNORED": e |= field(k, v, 63, 1); break;
                case "frame":
                    if (v < 0 || v >= 1L << 36) {
                        throw new IllegalArgumentException("frame does not fit bits 47:12: 0x" + Long.toHexString(v));
                    }
                    e |= v << OA_SHIFT;
                    break;
                default:
                    throw new IllegalArgumentException("unknown arm64 descriptor field '" + k + "' (fields: "
                            + String.join(" ", FIELDS) + " " + String.join(" ", EXTRA_FIELDS) + ")");
            }
        }
        return e;
    }

    private static long field(String name, long v, int shift, int bits) {
        if (v < 0 || v >= 1L << bits) {
            throw new IllegalArgumentException(name + " is " + bits + " bit(s): " + v);
        }
        return v << shift;
    }
}
