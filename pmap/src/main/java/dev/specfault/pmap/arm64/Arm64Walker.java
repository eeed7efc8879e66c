package dev.specfault.pmap.arm64;

import static dev.specfault.pmap.arm64.Arm64PteFormat.AF;
import static dev.specfault.pmap.arm64.Arm64PteFormat.APTABLE_NO_EL0;
import static dev.specfault.pmap.arm64.Arm64PteFormat.APTABLE_RDONLY;
import static dev.specfault.pmap.arm64.Arm64PteFormat.AP_RDONLY;
import static dev.specfault.pmap.arm64.Arm64PteFormat.AP_USER;
import static dev.specfault.pmap.arm64.Arm64PteFormat.DBM;
import static dev.specfault.pmap.arm64.Arm64PteFormat.NG;
import static dev.specfault.pmap.arm64.Arm64PteFormat.TABLE_OR_PAGE;
import static dev.specfault.pmap.arm64.Arm64PteFormat.UXN;
import static dev.specfault.pmap.arm64.Arm64PteFormat.UXN_TABLE;
import static dev.specfault.pmap.arm64.Arm64PteFormat.VALID;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Prot;
import dev.specfault.pmap.WalkCache;
import dev.specfault.pmap.WalkResult;
import dev.specfault.pmap.Walker;
import dev.specfault.pmap.phys.PhysicalMemory;

/**
 * The arm64 stage-1 walk for EL0 accesses through TTBR0_EL1: 4 KiB granule, 48-bit input and output
 * addresses (TCR_EL1.T0SZ = 16, IPS = 48 bits), levels 0 to 3 (Arm ARM D8.2).
 *
 * <pre>
 *   TTBR0 ─▶ L0 ─table─▶ L1 ─(block 1 GiB)─▶ L2 ─(block 2 MiB)─▶ L3 ─page─▶ 4 KiB
 *   table descriptors restrict what lies below: APTable[0] no EL0, APTable[1] read-only, UXNTable
 *   leaf checks in priority order: translation, address size, access flag, permission
 * </pre>
 * Hardware management is a per-machine option: with {@code hwAccessFlag} (TCR_EL1.HA) the walker
 * sets AF by CAS, without it AF=0 raises an access-flag fault; with {@code hwDirty} (TCR_EL1.HD) a
 * write through a DBM=1 entry clears AP[2] by CAS, without it the write raises a permission fault
 * that the kernel resolves. Fault codes are ESR_EL1 values: EC 0x24 (data abort from EL0) or 0x20
 * (instruction abort), IL, WnR and the fault status code DFSC (0b0001LL translation, 0b0010LL access
 * flag, 0b0011LL permission, 0b0000LL address size; LL = the Arm level).
 */
public final class Arm64Walker implements Walker {
    public static final int EC_DATA_ABORT_EL0 = 0x24;
    public static final int EC_INSN_ABORT_EL0 = 0x20;
    public static final int DFSC_ADDRESS_SIZE = 0b000000;
    public static final int DFSC_TRANSLATION = 0b000100;
    public static final int DFSC_ACCESS_FLAG = 0b001000;
    public static final int DFSC_PERMISSION = 0b001100;
    private static final long IL = 1L << 25;
    private static final long WNR = 1L << 6;
    /** Output-address bits above the 48-bit physical address size (res0 in a 48-bit OA descriptor). */
    private static final long OA_ABOVE_48 = 3L << 48;
    /** Bit 55 of a virtual address: which half (TTBR0 or TTBR1) translates it, with TBI. */
    private static final long TTBR1_HALF = 1L << 55;
    /** Bits 63:56, the top byte that TBI ignores. */
    private static final long TOP_BYTE = 0xFFL << 56;

    private final PhysicalMemory mem;   // [I]
    private final boolean hwAccessFlag; // [I]
    private final boolean hwDirty;      // [I]

    public Arm64Walker(PhysicalMemory mem, boolean hwAccessFlag, boolean hwDirty) {
        this.mem = mem;
        this.hwAccessFlag = hwAccessFlag;
        this.hwDirty = hwDirty;
    }

    private static long esr(int dfsc, int armLevel, int access) {
        final int ec = access == Prot.ACCESS_EXEC ? EC_INSN_ABORT_EL0 : EC_DATA_ABORT_EL0;
        return ((long) ec << 26) | IL | (access == Prot.ACCESS_WRITE ? WNR : 0) | (dfsc | armLevel);
    }

    /** The Arm level (0–3) of an arch-neutral level (4–1). */
    public static int armLevel(int level) {
        return 4 - level;
    }

    /** A walk cache entry's rights: the table descriptors' restrictions above and in it. */
    private static final long R_NO_EL0 = 1;
    private static final long R_RDONLY = 2;
    private static final long R_UXN = 4;

    /** The restrictions table descriptor {@code e} adds (APTable[0], APTable[1], UXNTable). */
    private static long tableRights(long e) {
        return ((e & APTABLE_NO_EL0) != 0 ? R_NO_EL0 : 0) | ((e & APTABLE_RDONLY) != 0 ? R_RDONLY : 0)
                | ((e & UXN_TABLE) != 0 ? R_UXN : 0);
    }

    /**
     * Top Byte Ignore for EL0: Linux always sets TCR_EL1.TBI0 (and leaves TBID0 clear, so instruction
     * addresses are included), so bits 63:56 of an address whose bit 55 is 0 (TTBR0's half) take no
     * part in translation: a tagged pointer (HWASan's, MTE's logical tag) reaches the same page, the
     * TLB holds the translation once, and the fault handler gets the address untagged (as
     * do_mem_abort's {@code untagged_addr(far)}). An address with bit 55 set is TTBR1's (the kernel's),
     * left as it is, and faults at level 0. This is also arm64's {@code untagged_addr}:
     * {@code addr & sign_extend64(addr, 55)}.
     */
    @Override
    public long untag(long va) {
        return (va & TTBR1_HALF) == 0 ? va & ~TOP_BYTE : va;
    }

    @Override
    public boolean reachesTlb(long va) {
        return (va >>> 48) == 0;
    }

    @Override
    public long walk(long root, long va, int access, WalkCache walks, int tag) {
        if ((va >>> 48) != 0) {
            // Outside TTBR0's 48-bit range: a translation fault at level 0 (TTBR1 is the kernel's).
            return WalkResult.fault(WalkResult.NOT_PRESENT, 4, esr(DFSC_TRANSLATION, 0, access));
        }
        restart:
        for (;;) {
            long table = root;
            long r = 0; // the table descriptors' restrictions so far (R_*)
            int first = 0;
            if (walks != null && walks.lookup(tag, va)) {
                // A walk cache hit: the walk goes on below the cached table descriptor.
                table = walks.hitTable();
                r = walks.hitRights();
                first = armLevel(walks.hitLevel() - 1);
            }
            for (int al = first; al <= 3; al++) {
                final int level = 4 - al;
                final int idx = Arch.index(va, level);
                final long e = mem.getAcquire(table, idx);
                if ((e & VALID) == 0) {
                    return WalkResult.fault(WalkResult.NOT_PRESENT, level, esr(DFSC_TRANSLATION, al, access));
                }
                final boolean tableBit = (e & TABLE_OR_PAGE) != 0;
                if (al == 0 && !tableBit || al == 3 && !tableBit) {
                    // A level-0 block does not exist with a 4 KiB granule; at level 3 bit 1 must be 1.
                    return WalkResult.fault(WalkResult.NOT_PRESENT, level, esr(DFSC_TRANSLATION, al, access));
                }
                if ((e & OA_ABOVE_48) != 0) {
                    return WalkResult.fault(WalkResult.ADDRESS_SIZE, level, esr(DFSC_ADDRESS_SIZE, al, access));
                }
                if (al < 3 && tableBit) {
                    r |= tableRights(e);
                    table = Arm64PteFormat.INSTANCE.frame(e);
                    if (walks != null) {
                        walks.fill(tag, level, va, table, r);
                    }
                    continue;
                }
                // A page (level 3) or a block (levels 1–2).
                long upd = e;
                if ((e & AF) == 0) {
                    if (!hwAccessFlag) {
                        return WalkResult.fault(WalkResult.ACCESS_FLAG, level, esr(DFSC_ACCESS_FLAG, al, access));
                    }
                    upd |= AF;
                }
                final boolean rdonly = (r & R_RDONLY) != 0;
                final boolean el0 = (e & AP_USER) != 0 && (r & R_NO_EL0) == 0;
                final boolean ro = (e & AP_RDONLY) != 0;
                final boolean x = (e & UXN) == 0 && (r & R_UXN) == 0;
                boolean mayWrite = !ro && !rdonly;
                if (access == Prot.ACCESS_WRITE && ro && !rdonly && (e & DBM) != 0 && hwDirty) {
                    upd &= ~AP_RDONLY; // hardware dirty-bit management: clean-writable becomes dirty
                    mayWrite = true;
                }
                if (!el0 || access == Prot.ACCESS_WRITE && !mayWrite || access == Prot.ACCESS_EXEC && !x) {
                    return WalkResult.fault(WalkResult.PROTECTION, level, esr(DFSC_PERMISSION, al, access));
                }
                if (upd != e && !mem.cas(table, idx, e, upd)) {
                    continue restart;
                }
                return translation(upd, va, level, rdonly, x);
            }
            throw new AssertionError("walk fell off level 3");
        }
    }

    @Override
    public long peek(long root, long va, WalkCache walks, int tag) {
        if ((va >>> 48) != 0) {
            return WalkResult.fault(WalkResult.NOT_PRESENT, 4, 0);
        }
        long table = root;
        long r = 0;
        int first = 0;
        if (walks != null && walks.lookup(tag, va)) {
            table = walks.hitTable();
            r = walks.hitRights();
            first = armLevel(walks.hitLevel() - 1);
        }
        for (int al = first; al <= 3; al++) {
            final int level = 4 - al;
            final long e = mem.getAcquire(table, Arch.index(va, level));
            final boolean tableBit = (e & TABLE_OR_PAGE) != 0;
            if ((e & VALID) == 0 || (al == 0 || al == 3) && !tableBit || (e & OA_ABOVE_48) != 0) {
                return WalkResult.fault(WalkResult.NOT_PRESENT, level, 0);
            }
            if (al < 3 && tableBit) {
                r |= tableRights(e);
                table = Arm64PteFormat.INSTANCE.frame(e);
                if (walks != null) {
                    walks.fill(tag, level, va, table, r);
                }
                continue;
            }
            if ((e & AF) == 0 || (e & AP_USER) == 0 || (r & R_NO_EL0) != 0) {
                return WalkResult.fault(WalkResult.ACCESS_FLAG, level, 0);
            }
            return translation(e, va, level, (r & R_RDONLY) != 0, (e & UXN) == 0 && (r & R_UXN) == 0);
        }
        throw new AssertionError("peek fell off level 3");
    }

    private static long translation(long leaf, long va, int level, boolean rdonlyTable, boolean x) {
        final long pagesBelow = (1L << (9 * (level - 1))) - 1;
        final long frame = (Arm64PteFormat.INSTANCE.frame(leaf) & ~pagesBelow) + ((va >>> 12) & pagesBelow);
        // The TLB caches the entry as it is: writable without a walk only if AP[2] = 0.
        final boolean w = (leaf & AP_RDONLY) == 0 && !rdonlyTable;
        final long flags = WalkResult.U | (w ? WalkResult.W | WalkResult.D : 0) | (x ? WalkResult.X : 0)
                | ((leaf & NG) == 0 ? WalkResult.G : 0);
        return WalkResult.translation(frame, flags, level - 1);
    }
}
