package dev.specfault.pmap.x86;

import static dev.specfault.pmap.x86.X86PteFormat.A;
import static dev.specfault.pmap.x86.X86PteFormat.D;
import static dev.specfault.pmap.x86.X86PteFormat.G;
import static dev.specfault.pmap.x86.X86PteFormat.NX;
import static dev.specfault.pmap.x86.X86PteFormat.P;
import static dev.specfault.pmap.x86.X86PteFormat.PS;
import static dev.specfault.pmap.x86.X86PteFormat.RW;
import static dev.specfault.pmap.x86.X86PteFormat.US;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Prot;
import dev.specfault.pmap.WalkCache;
import dev.specfault.pmap.WalkResult;
import dev.specfault.pmap.Walker;
import dev.specfault.pmap.phys.PhysicalMemory;

/**
 * The x86-64 page walk (Intel SDM vol. 3A §4.5), 4-level or 5-level (LA57), for user-mode accesses
 * with EFER.NXE=1, CR0.WP=1 and 1 GiB pages supported.
 *
 * <pre>
 *   CR3 ─▶ [PML5] ─▶ PML4 ─▶ PDPT ─(PS: 1 GiB)─▶ PD ─(PS: 2 MiB)─▶ PT ─▶ 4 KiB page
 *   rights: W = AND of RW, U = AND of US, X = AND of !NX over every level used
 *   A is set in every entry used; D in the leaf on a write; both by CAS, no lock, restart on loss
 * </pre>
 * Fault error code (#PF): bit 0 P (1 = protection violation, 0 = not present), 1 W/R, 2 U/S (always
 * 1 here), 3 RSVD, 4 I/D. A non-canonical address is #GP, reported as {@code NON_CANONICAL}.
 */
public final class X86Walker implements Walker {
    public static final int ERR_P = 1;
    public static final int ERR_W = 1 << 1;
    public static final int ERR_U = 1 << 2;
    public static final int ERR_RSVD = 1 << 3;
    public static final int ERR_I = 1 << 4;

    private final PhysicalMemory mem;   // [I]
    private final int levels;           // [I]
    private final int vaBits;           // [I]
    /** Bits maxPhys..51 of an entry are reserved. [I] */
    private final long reservedAddr;    // [I]

    /**
     * @param maxPhysAddr MAXPHYADDR (CPUID 0x80000008), 36..52
     */
    public X86Walker(PhysicalMemory mem, Arch arch, int maxPhysAddr) {
        if (!arch.isX86()) {
            throw new IllegalArgumentException("not an x86 mode: " + arch);
        }
        if (maxPhysAddr < 36 || maxPhysAddr > 52) {
            throw new IllegalArgumentException("MAXPHYADDR must be 36..52: " + maxPhysAddr);
        }
        this.mem = mem;
        this.levels = arch.levels();
        this.vaBits = arch.vaBits();
        this.reservedAddr = ((1L << 52) - 1) & ~((1L << maxPhysAddr) - 1);
    }

    /** Whether bits 63:vaBits-1 of va are all equal (a canonical address). */
    public static boolean canonical(long va, int vaBits) {
        return (va >> (vaBits - 1)) == 0 || (va >> (vaBits - 1)) == -1;
    }

    private static int errorCode(int access) {
        return ERR_U | (access == Prot.ACCESS_WRITE ? ERR_W : 0) | (access == Prot.ACCESS_EXEC ? ERR_I : 0);
    }

    /** Reserved bits set in an entry of this level (already known to be present). */
    private boolean reserved(long e, int level) {
        if ((e & reservedAddr) != 0) {
            return true;
        }
        if ((e & PS) != 0) {
            if (level >= 4) {
                return true; // PS is reserved in a PML4E / PML5E
            }
            if (level >= 2) {
                // A huge leaf: address bits below its size, except PAT at bit 12, are reserved.
                final long low = ((1L << (12 + 9 * (level - 1))) - 1) & ~((1L << 13) - 1);
                return (e & low) != 0;
            }
        }
        return false;
    }

    @Override
    public boolean reachesTlb(long va) {
        return canonical(va, vaBits);
    }

    @Override
    public long walk(long root, long va, int access, WalkCache walks, int tag) {
        if (!canonical(va, vaBits)) {
            return WalkResult.fault(WalkResult.NON_CANONICAL, 0, 0);
        }
        restart:
        for (;;) {
            long table = root;
            long rights = WalkResult.W | WalkResult.U | WalkResult.X;
            int top = levels;
            if (walks != null && walks.lookup(tag, va)) {
                // A paging-structure cache hit: the entries above are not read again (SDM §4.10.3.2).
                table = walks.hitTable();
                rights = walks.hitRights();
                top = walks.hitLevel() - 1;
            }
            for (int level = top; level >= 1; level--) {
                final int idx = Arch.index(va, level);
                final long e = mem.getAcquire(table, idx);
                if ((e & P) == 0) {
                    return WalkResult.fault(WalkResult.NOT_PRESENT, level, errorCode(access));
                }
                if (reserved(e, level)) {
                    return WalkResult.fault(WalkResult.RESERVED, level, errorCode(access) | ERR_P | ERR_RSVD);
                }
                rights = narrowed(rights, e);
                final boolean leaf = level == 1 || (e & PS) != 0;
                if (!leaf) {
                    // The processor sets A in every paging-structure entry it uses.
                    if ((e & A) == 0 && !mem.cas(table, idx, e, e | A)) {
                        continue restart;
                    }
                    table = X86PteFormat.INSTANCE.frame(e);
                    if (walks != null) {
                        walks.fill(tag, level, va, table, rights);
                    }
                    continue;
                }
                if ((rights & WalkResult.U) == 0
                        || access == Prot.ACCESS_WRITE && (rights & WalkResult.W) == 0
                        || access == Prot.ACCESS_EXEC && (rights & WalkResult.X) == 0) {
                    return WalkResult.fault(WalkResult.PROTECTION, level, errorCode(access) | ERR_P);
                }
                final long updated = e | A | (access == Prot.ACCESS_WRITE ? D : 0);
                if (updated != e && !mem.cas(table, idx, e, updated)) {
                    continue restart; // the entry changed under the walk: walk again
                }
                return translation(updated, va, level, rights);
            }
            throw new AssertionError("walk fell off level 1");
        }
    }

    @Override
    public long peek(long root, long va, WalkCache walks, int tag) {
        if (!canonical(va, vaBits)) {
            return WalkResult.fault(WalkResult.NON_CANONICAL, 0, 0);
        }
        long table = root;
        long rights = WalkResult.W | WalkResult.U | WalkResult.X;
        int top = levels;
        if (walks != null && walks.lookup(tag, va)) {
            table = walks.hitTable();
            rights = walks.hitRights();
            top = walks.hitLevel() - 1;
        }
        for (int level = top; level >= 1; level--) {
            final long e = mem.getAcquire(table, Arch.index(va, level));
            if ((e & (P | A)) != (P | A) || reserved(e, level)) {
                return WalkResult.fault(WalkResult.NOT_PRESENT, level, 0);
            }
            rights = narrowed(rights, e);
            if (level == 1 || (e & PS) != 0) {
                return (rights & WalkResult.U) == 0 ? WalkResult.fault(WalkResult.PROTECTION, level, 0)
                        : translation(e, va, level, rights);
            }
            table = X86PteFormat.INSTANCE.frame(e);
            if (walks != null) {
                walks.fill(tag, level, va, table, rights);
            }
        }
        throw new AssertionError("peek fell off level 1");
    }

    /** The rights a walk keeps past entry {@code e}: each level can only take W, U or X away. */
    private static long narrowed(long rights, long e) {
        return rights & ~((e & RW) == 0 ? WalkResult.W : 0)
                & ~((e & US) == 0 ? WalkResult.U : 0)
                & ~((e & NX) != 0 ? WalkResult.X : 0);
    }

    private static long translation(long leaf, long va, int level, long rights) {
        final long pagesBelow = (1L << (9 * (level - 1))) - 1;
        // A huge leaf's PAT sits at bit 12: mask it out of the base frame.
        final long base = level == 1 ? X86PteFormat.INSTANCE.frame(leaf)
                : X86PteFormat.INSTANCE.frame(leaf) & ~pagesBelow;
        final long frame = base + ((va >>> 12) & pagesBelow);
        final long flags = rights | ((leaf & D) != 0 ? WalkResult.D : 0) | ((leaf & G) != 0 ? WalkResult.G : 0);
        return WalkResult.translation(frame, flags, level - 1);
    }
}
