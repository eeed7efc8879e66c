package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.arm64.Arm64PteFormat;
import dev.specfault.pmap.x86.X86PteFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The two PTE formats against the manuals: every named field at its architectural bit position,
 * encode/decode round trips, and the leaf conventions Linux uses.
 */
class PteFormatTest {

    /** Intel SDM vol. 3A table 4-19 (4 KiB PTE) positions, written out independently of the code. */
    @Test
    void x86BitsAreAtTheirArchitecturalPositions() {
        assertEquals(0, Long.numberOfTrailingZeros(X86PteFormat.P));
        assertEquals(1, Long.numberOfTrailingZeros(X86PteFormat.RW));
        assertEquals(2, Long.numberOfTrailingZeros(X86PteFormat.US));
        assertEquals(3, Long.numberOfTrailingZeros(X86PteFormat.PWT));
        assertEquals(4, Long.numberOfTrailingZeros(X86PteFormat.PCD));
        assertEquals(5, Long.numberOfTrailingZeros(X86PteFormat.A));
        assertEquals(6, Long.numberOfTrailingZeros(X86PteFormat.D));
        assertEquals(7, Long.numberOfTrailingZeros(X86PteFormat.PAT));
        assertEquals(7, Long.numberOfTrailingZeros(X86PteFormat.PS));
        assertEquals(8, Long.numberOfTrailingZeros(X86PteFormat.G));
        assertEquals(63, Long.numberOfTrailingZeros(X86PteFormat.NX));
        assertEquals(12, Long.numberOfTrailingZeros(X86PteFormat.ADDR_MASK));
        assertEquals(51, 63 - Long.numberOfLeadingZeros(X86PteFormat.ADDR_MASK));
        assertEquals(40, Long.bitCount(X86PteFormat.ADDR_MASK));
        assertEquals(0xfL << 59, X86PteFormat.PKEY);
        // Each field of decode() is exactly one bit at its position.
        final X86PteFormat f = X86PteFormat.INSTANCE;
        final String[] names = {"P", "RW", "US", "PWT", "PCD", "A", "D", "PAT", "G"};
        for (int bit = 0; bit < names.length; bit++) {
            final LinkedHashMap<String, Long> d = f.decode(1L << bit);
            for (String n : names) {
                assertEquals(n.equals(names[bit]) ? 1L : 0L, d.get(n), n + " of bit " + bit);
            }
            assertEquals(1L << bit, f.encode(Map.of(names[bit], 1L)));
        }
        assertEquals(1L, f.decode(1L << 63).get("NX"));
        assertEquals(0x12345L, f.decode(0x12345L << 12).get("frame"));
        assertEquals(f.fieldNames(), java.util.List.copyOf(f.decode(0).keySet()));
    }

    /**
     * Every 64-bit value round-trips through decode and encode, the bits outside the listed fields
     * included (printed only when set: x86 AVL, AVL_HIGH, PK; arm64 NS, RES0, GP, Contiguous, SW,
     * PBHA, IGNORED); a value with only listed fields decodes to exactly the listed names.
     */
    @Test
    void everyValueRoundTripsAndExtraFieldsAppearOnlyWhenSet() {
        final SplittableRandom rnd = new SplittableRandom(42);
        for (PteFormat f : new PteFormat[] {X86PteFormat.INSTANCE, Arm64PteFormat.INSTANCE}) {
            for (int i = 0; i < 20_000; i++) {
                final long v = i < 64 ? 1L << i : i < 128 ? ~(1L << (i - 64)) : rnd.nextLong();
                final LinkedHashMap<String, Long> d = f.decode(v);
                assertEquals(v, f.encode(d), f.arch() + " 0x" + Long.toHexString(v) + " " + d);
                for (String extra : f.extraFieldNames()) {
                    assertTrue(!d.containsKey(extra) || d.get(extra) != 0, extra + " printed as 0");
                }
            }
            assertEquals(f.fieldNames(), java.util.List.copyOf(f.decode(0).keySet()));
        }
        assertEquals(0x7L, X86PteFormat.INSTANCE.decode(0x7L << 9).get("AVL"));
        assertEquals(0x5L, X86PteFormat.INSTANCE.decode(0x5L << 59).get("PK"));
        assertEquals(1L, Arm64PteFormat.INSTANCE.decode(Arm64PteFormat.SW_DIRTY).get("SW"));
        assertEquals(1L, Arm64PteFormat.INSTANCE.decode(Arm64PteFormat.CONTIG).get("Contiguous"));
    }

    /**
     * CR3 (SDM 4.5, CR4.PCIDE=1: PCID 11:0, base 51:12) and TTBR0_EL1 (Arm ARM D19.2: ASID 63:48,
     * BADDR 47:1, CnP 0), written out in raw bit numbers; and a CPU's register after a switch.
     */
    @Test
    void rootRegistersCarryTheTagAtItsArchitecturalPosition() {
        final X86PteFormat x = X86PteFormat.INSTANCE;
        assertEquals(0x12345L << 12 | 0x7, x.rootRegister(0x12345, 7));
        assertEquals(0xfffL, x.rootRegister(0, 4095));
        assertEquals(0x12345L, x.rootFrame(0x12345L << 12 | 0xabc | 1L << 63));
        assertEquals(0xabc, x.rootTag(0x12345L << 12 | 0xabc | 1L << 63));
        assertEquals(63, Long.numberOfTrailingZeros(X86PteFormat.CR3_NOFLUSH));
        assertThrows(IllegalArgumentException.class, () -> x.rootRegister(1, 4096));
        final Arm64PteFormat a = Arm64PteFormat.INSTANCE;
        assertEquals(0xabcdL << 48 | 0x12345L << 12, a.rootRegister(0x12345, 0xabcd));
        assertEquals(0xffffL << 48, a.rootRegister(0, 0xffff));
        assertEquals(0x12345L, a.rootFrame(0xabcdL << 48 | 0x12345L << 12 | 1));
        assertEquals(0xabcd, a.rootTag(0xabcdL << 48 | 0x12345L << 12 | 1));
        assertEquals(0, Long.numberOfTrailingZeros(Arm64PteFormat.TTBR_CNP));
        assertThrows(IllegalArgumentException.class, () -> a.rootRegister(1, 0x10000));
        assertThrows(IllegalArgumentException.class, () -> a.rootRegister(1L << 36, 1));
        for (Arch arch : Arch.values()) {
            final Machine m = Machine.builder(arch).cpus(1).frameLimit(64).build();
            final Pmap p = m.newPmap("S", dev.specfault.srcu.SrcuDomain.builder("S")
                    .driver(dev.specfault.srcu.GracePeriodDriver.manual()).build());
            final Cpu c = m.cpu(0);
            c.bind();
            try {
                assertEquals(m.initPmap().root(), m.format().rootFrame(c.rootRegister()), arch + " before a switch");
                assertEquals(0, m.format().rootTag(c.rootRegister()), arch + ": the kernel space has tag 0");
                c.switchTo(p);
                final long r = c.rootRegister();
                assertEquals(p.root(), m.format().rootFrame(r), arch.name());
                assertEquals(c.tag(), m.format().rootTag(r), arch.name());
                assertTrue(c.tag() > 0, arch + ": a user space has a PCID / ASID");
                assertEquals(arch.isX86() ? (long) c.tag() : (long) c.tag() << 48,
                        r & (arch.isX86() ? 0xfffL : 0xffffL << 48), arch + ": the tag's bits");
            } finally {
                c.enterLazy();
                c.unbind();
            }
        }
    }

    /** Arm ARM D8.3 (VMSAv8-64 descriptors, 4 KiB granule) positions. */
    @Test
    void arm64BitsAreAtTheirArchitecturalPositions() {
        assertEquals(0, Long.numberOfTrailingZeros(Arm64PteFormat.VALID));
        assertEquals(1, Long.numberOfTrailingZeros(Arm64PteFormat.TABLE_OR_PAGE));
        assertEquals(7L << 2, Arm64PteFormat.ATTRINDX);
        assertEquals(5, Long.numberOfTrailingZeros(Arm64PteFormat.NS));
        assertEquals(6, Long.numberOfTrailingZeros(Arm64PteFormat.AP_USER));
        assertEquals(7, Long.numberOfTrailingZeros(Arm64PteFormat.AP_RDONLY));
        assertEquals(3L << 8, Arm64PteFormat.SH);
        assertEquals(10, Long.numberOfTrailingZeros(Arm64PteFormat.AF));
        assertEquals(11, Long.numberOfTrailingZeros(Arm64PteFormat.NG));
        assertEquals(12, Long.numberOfTrailingZeros(Arm64PteFormat.OA_MASK));
        assertEquals(47, 63 - Long.numberOfLeadingZeros(Arm64PteFormat.OA_MASK));
        assertEquals(51, Long.numberOfTrailingZeros(Arm64PteFormat.DBM));
        assertEquals(52, Long.numberOfTrailingZeros(Arm64PteFormat.CONTIG));
        assertEquals(53, Long.numberOfTrailingZeros(Arm64PteFormat.PXN));
        assertEquals(54, Long.numberOfTrailingZeros(Arm64PteFormat.UXN));
        assertEquals(55, Long.numberOfTrailingZeros(Arm64PteFormat.SW_DIRTY));
        assertEquals(58, Long.numberOfTrailingZeros(Arm64PteFormat.SW_PROT_NONE));
        assertEquals(59, Long.numberOfTrailingZeros(Arm64PteFormat.PXN_TABLE));
        assertEquals(60, Long.numberOfTrailingZeros(Arm64PteFormat.UXN_TABLE));
        assertEquals(61, Long.numberOfTrailingZeros(Arm64PteFormat.APTABLE_NO_EL0));
        assertEquals(62, Long.numberOfTrailingZeros(Arm64PteFormat.APTABLE_RDONLY));
        final Arm64PteFormat f = Arm64PteFormat.INSTANCE;
        assertEquals(1L << 6, f.encode(Map.of("AP", 1L)));
        assertEquals(1L << 7, f.encode(Map.of("AP", 2L)));
        assertEquals(5L << 2, f.encode(Map.of("AttrIndx", 5L)));
        assertEquals(1L << 51, f.encode(Map.of("DBM", 1L)));
        assertEquals(1L << 53, f.encode(Map.of("PXN", 1L)));
        assertEquals(1L << 54, f.encode(Map.of("UXN", 1L)));
        assertEquals(3L << 8, f.encode(Map.of("SH", 3L)));
        assertEquals(f.fieldNames(), java.util.List.copyOf(f.decode(0).keySet()));
    }

    @Test
    void decodeThenEncodeRoundTripsOnRandomValues() {
        final SplittableRandom rnd = new SplittableRandom(7);
        for (Arch a : new Arch[] {Arch.X86_64, Arch.ARM64}) {
            final PteFormat f = a.format();
            for (int i = 0; i < 10_000; i++) {
                final long e = rnd.nextLong();
                final long named = f.encode(f.decode(e));
                // Round trip over the named fields: decoding the re-encoded value gives the same fields.
                assertEquals(f.decode(e), f.decode(named), a + " 0x" + Long.toHexString(e));
                assertEquals(named, f.encode(f.decode(named)));
            }
        }
    }

    @Test
    void encodeRejectsUnknownFieldsAndOversizedValues() {
        assertThrows(IllegalArgumentException.class, () -> X86PteFormat.INSTANCE.encode(Map.of("XD", 1L)));
        assertThrows(IllegalArgumentException.class, () -> X86PteFormat.INSTANCE.encode(Map.of("P", 2L)));
        assertThrows(IllegalArgumentException.class, () -> X86PteFormat.INSTANCE.encode(Map.of("frame", 1L << 40)));
        assertThrows(IllegalArgumentException.class, () -> Arm64PteFormat.INSTANCE.encode(Map.of("AP", 4L)));
        assertThrows(IllegalArgumentException.class, () -> Arm64PteFormat.INSTANCE.encode(Map.of("frame", 1L << 36)));
    }

    @Test
    void leavesFollowLinuxConventions() {
        for (Arch a : new Arch[] {Arch.X86_64, Arch.ARM64}) {
            final PteFormat f = a.format();
            final long rw = f.leaf(0x1234, Prot.READ | Prot.WRITE, Prot.YOUNG);
            assertTrue(f.present(rw) && f.writable(rw) && f.user(rw) && f.young(rw), a.name());
            assertFalse(f.dirty(rw), a + ": clean until written");
            assertFalse(f.executable(rw));
            assertEquals(0x1234, f.frame(rw));
            final long dirty = f.mkdirty(rw);
            assertTrue(f.dirty(dirty) && f.writable(dirty));
            final long wp = f.wrprotect(dirty);
            assertFalse(f.writable(wp), a + ": write-protected");
            assertTrue(f.dirty(wp), a + ": write-protecting keeps dirtiness");
            assertTrue(f.writable(f.mkwrite(wp)));
            // What the hardware does without a lock: x86 sets A and D; arm64 sets AF and, for a DBM=1
            // entry, clears AP[2]. Comparisons mask exactly that.
            final long touched = a.isX86() ? rw | X86PteFormat.A | X86PteFormat.D
                    : (rw | Arm64PteFormat.AF) & ~Arm64PteFormat.AP_RDONLY;
            assertEquals(f.maskHardwareUpdates(f.mkold(rw)), f.maskHardwareUpdates(touched),
                    a + ": hardware A/D updates are masked in comparisons");
            assertTrue(f.maskHardwareUpdates(rw) != f.maskHardwareUpdates(f.wrprotect(rw)),
                    a + ": a software rights change is not masked");
            final long none = f.leaf(0x1234, Prot.NONE, 0);
            assertFalse(f.present(none));
            assertTrue(f.mapsFrame(none) && f.protNone(none));
            assertEquals(0x1234, f.frame(none));
            assertEquals(Prot.NONE, f.prot(none));
            final long x = f.leaf(7, Prot.READ | Prot.EXEC, 0);
            assertTrue(f.executable(x) && !f.writable(x));
            assertEquals(Prot.READ | Prot.EXEC, f.prot(x));
        }
    }

    @Test
    void arm64WritableCleanPageHasDbmAndReadOnlyApAsLinuxDoes() {
        final Arm64PteFormat f = Arm64PteFormat.INSTANCE;
        final long clean = f.leaf(1, Prot.READ | Prot.WRITE, Prot.YOUNG);
        assertTrue((clean & Arm64PteFormat.DBM) != 0, "PTE_WRITE is DBM");
        assertTrue((clean & Arm64PteFormat.AP_RDONLY) != 0, "clean: AP[2] read-only until the hardware dirties it");
        assertTrue(f.writable(clean), "DBM=1 counts as writable");
        final long hwDirty = clean & ~Arm64PteFormat.AP_RDONLY;
        assertTrue(Arm64PteFormat.hwDirty(hwDirty) && f.dirty(hwDirty));
        final long wp = f.wrprotect(hwDirty);
        assertTrue((wp & Arm64PteFormat.SW_DIRTY) != 0, "hardware dirty moves to PTE_DIRTY when write-protected");
        assertTrue((wp & Arm64PteFormat.DBM) == 0 && (wp & Arm64PteFormat.AP_RDONLY) != 0);
        assertTrue((clean & Arm64PteFormat.NG) != 0 && (clean & Arm64PteFormat.PXN) != 0, "user pages: nG, PXN");
        assertEquals(Arm64PteFormat.SH_INNER, clean & Arm64PteFormat.SH);
    }

    @Test
    void breakBeforeMakeIsRequiredOnlyForAddressOrAttributeChangesOnArm64() {
        final Arm64PteFormat f = Arm64PteFormat.INSTANCE;
        final long a = f.leaf(1, Prot.READ | Prot.WRITE, Prot.YOUNG);
        assertFalse(f.needsBreakBeforeMake(a, f.wrprotect(a)), "rights change in place");
        assertFalse(f.needsBreakBeforeMake(a, f.mkold(a)), "AF changes in place");
        assertFalse(f.needsBreakBeforeMake(a, a & ~Arm64PteFormat.AP_RDONLY), "DBM dirtying changes in place");
        assertTrue(f.needsBreakBeforeMake(a, f.leaf(2, Prot.READ | Prot.WRITE, Prot.YOUNG)), "output address");
        assertTrue(f.needsBreakBeforeMake(a, a | (1L << 2)), "AttrIndx");
        assertFalse(f.needsBreakBeforeMake(0, a), "from invalid");
        assertFalse(X86PteFormat.INSTANCE.needsBreakBeforeMake(1, 3));
    }
}
