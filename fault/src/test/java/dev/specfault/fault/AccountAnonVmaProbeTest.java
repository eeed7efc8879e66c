package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.PROT_READ;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.Arch;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * More cases of VM_ACCOUNT and anon_vma from the review of that change, each as this machine's
 * kernel shows it: docs/linux/account-anon-vma/k1.c and k4.c, their output beside them.
 */
class AccountAnonVmaProbeTest extends LayoutSpaceTest {
    private static List<String> m(AddressSpace s, long lo, long hi) {
        return maps(s, lo, hi);
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void probes(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        // L, M, D
        long a = map(s, 0x52000000L, P, RW, ANON);
        store(s, a, 1);
        map(s, 0x52002000L, P, RW, ANON);
        assertEquals(a, s.mremap(a, P, 2 * P, 0, 0));
        assertEquals(List.of("52000000-52003000 rw-p"), m(s, a, a + 3 * P), "L");
        a = map(s, 0x53000000L, P, RW, ANON);
        map(s, 0x53002000L, P, RW, ANON);
        store(s, 0x53002000L, 1);
        assertEquals(a, s.mremap(a, P, 2 * P, 0, 0));
        assertEquals(List.of("53000000-53003000 rw-p"), m(s, a, a + 3 * P), "M");
        a = map(s, 0x54000000L, 3 * P, RW, ANON);
        store(s, a, 1);
        map(s, 0x54001000L, P, RW, ANON);
        assertEquals(List.of("54000000-54003000 rw-p"), m(s, a, a + 3 * P), "D");
        // F
        map(s, 0x55000000L, P, PROT_READ, ANON);
        a = map(s, 0x55001000L, P, RW, ANON | Mman.MAP_POPULATE);
        assertEquals(0, s.mprotect(a, P, PROT_READ));
        assertEquals(List.of("55000000-55001000 r--p", "55001000-55002000 r--p"), m(s, 0x55000000L, 0x55002000L), "F1");
        map(s, 0x55100000L, P, PROT_READ, ANON);
        a = map(s, 0x55101000L, P, PROT_READ, ANON | Mman.MAP_POPULATE);
        assertEquals(0, s.mprotect(a, P, RW));
        assertEquals(0, s.mprotect(a, P, PROT_READ));
        assertEquals(List.of("55100000-55102000 r--p"), m(s, 0x55100000L, 0x55102000L), "F2");
        // R
        map(s, 0x55200000L, P, PROT_READ, ANON);
        a = map(s, 0x55201000L, P, RW, ANON);
        assertEquals(0, s.madvise(a, P, Mman.MADV_POPULATE_READ));
        assertEquals(0, s.mprotect(a, P, PROT_READ));
        assertEquals(List.of("55200000-55202000 r--p"), m(s, 0x55200000L, 0x55202000L), "R1");
        map(s, 0x55300000L, P, PROT_READ, ANON);
        a = map(s, 0x55301000L, P, RW, ANON);
        assertEquals(0, s.madvise(a, P, Mman.MADV_POPULATE_WRITE));
        assertEquals(0, s.mprotect(a, P, PROT_READ));
        assertEquals(2, m(s, 0x55300000L, 0x55302000L).size(), "R2");
        // mlock/munlock
        map(s, 0x55400000L, P, PROT_READ, ANON);
        a = map(s, 0x55401000L, P, RW, ANON);
        assertEquals(0, s.mlock(a, P, 0));
        assertEquals(0, s.munlock(a, P));
        assertEquals(0, s.mprotect(a, P, PROT_READ));
        assertEquals(2, m(s, 0x55400000L, 0x55402000L).size(), "mlock");
        // I
        map(s, 0x56000000L, P, PROT_READ, ANON);
        a = map(s, 0x56001000L, P, RW, ANON);
        store(s, a, 1);
        assertEquals(0, s.madvise(a, P, Mman.MADV_DONTNEED));
        assertEquals(0, s.mprotect(a, P, PROT_READ));
        assertEquals(2, m(s, 0x56000000L, 0x56002000L).size(), "I");
        // H
        map(s, 0x57000000L, P, PROT_READ, ANON);
        a = map(s, 0x57001000L, P, RW, ANON);
        final AddressSpace child = s.fork();
        try {
            store(child, a, 1);
            assertEquals(0, child.mprotect(a, P, PROT_READ));
            assertEquals(2, m(child, 0x57000000L, 0x57002000L).size(), "H");
        } finally {
            child.exit();
        }
        // G
        final FileObject f = new FileObject("f", 4 * P, machine.frames());
        assertEquals(0x59000000L, s.mmap(0x59000000L, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0));
        assertEquals(0x59001000L, s.mmap(0x59001000L, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, P));
        assertEquals(1, m(s, 0x59000000L, 0x59002000L).size(), "G0");
        assertEquals(0, s.mprotect(0x59001000L, P, RW));
        store(s, 0x59001000L, 1);
        assertEquals(0, s.mprotect(0x59001000L, P, PROT_READ));
        assertEquals(2, m(s, 0x59000000L, 0x59002000L).size(), "G");
        // N
        a = map(s, 0x5a000000L, 3 * P, RW, ANON);
        assertEquals(0, s.mlock(a + P, P, 0));
        assertEquals(0, s.munlock(a + P, P));
        assertEquals(List.of("5a000000-5a003000 rw-p"), m(s, a, a + 3 * P), "N");
        assertEquals(0, s.mprotect(a, 3 * P, PROT_READ));
        assertEquals(List.of("5a000000-5a003000 r--p"), m(s, a, a + 3 * P), "N2");
        // O
        a = map(s, 0x5b001000L, P, RW, ANON);
        store(s, a, 1);
        final long b = map(s, 0x5b100000L, P, RW, ANON);
        assertEquals(0x5b000000L, s.mremap(b, P, P, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, 0x5b000000L));
        assertEquals(List.of("5b000000-5b002000 rw-p"), m(s, 0x5b000000L, 0x5b002000L), "O");
        // Q
        map(s, 0x5c000000L, P, PROT_READ, ANON);
        a = map(s, 0x5c001000L, 2 * P, RW, ANON);
        store(s, a, 1);
        final int du = Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP;
        assertEquals(0x5c100000L, s.mremap(a, 2 * P, 2 * P, du, 0x5c100000L));
        assertEquals(0, s.mprotect(a, 2 * P, PROT_READ));
        assertEquals(List.of("5c000000-5c003000 r--p"), m(s, 0x5c000000L, 0x5c003000L), "Q");
        // T
        a = map(s, 0x5d000000L, P, RW, ANON);
        store(s, a, 1);
        final AddressSpace c2 = s.fork();
        try {
            assertEquals(0x5d100000L, c2.mremap(a, P, P, du, 0x5d100000L));
            map(c2, 0x5d001000L, P, RW, ANON);
            assertEquals(List.of("5d000000-5d002000 rw-p"), m(c2, 0x5d000000L, 0x5d002000L), "T");
        } finally {
            c2.exit();
        }
        // brk shrink/grow after write
        final long h = s.brk(0);
        assertEquals(h + 4 * P, s.brk(h + 4 * P));
        store(s, h, 1);
        assertEquals(h + 2 * P, s.brk(h + 2 * P));
        assertEquals(h + 5 * P, s.brk(h + 5 * P));
        assertEquals(1, m(s, h, h + 5 * P).size(), "E");
    }
}
