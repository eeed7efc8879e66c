package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_EXEC;
import static dev.specfault.fault.Mman.PROT_NONE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which faults give an area its anon_vma, seen through merging, case for case as
 * docs/linux/anon-read.c: three adjacent one-page areas X (read), Y (none), Z (read), X and Z touched
 * one way, then mprotect of all three to r-x. With the zero page (mainline's do_anonymous_page, the
 * default) a read of private anonymous memory prepares nothing and only a write gives the area an
 * anon_vma; without it ({@link SpaceConfig#zeroPage} false), a read does too, as on this machine's
 * kernel (6.18.44-fc-v1045, which allocates a page for the read: docs/linux/anon-read.out). A read
 * of a private file mapping prepares nothing either way. On every design and both architectures.
 */
class AnonReadTest extends OneCpuSpaceTest {
    static final long P = PAGE_SIZE;
    static final long W = 0x1000_0000L;

    static Stream<Arguments> spaces() {
        return ContractDesigns.spaces();
    }

    private AddressSpace s;
    private FileObject file;

    private void space(Design d, Arch arch, boolean zeroPage) {
        s = newSpace(d, arch, SpaceConfig.defaults(arch).withZeroPage(zeroPage), 1024);
        file = new FileObject("/tmp/anon-read-file", 3 * P, machine.frames());
    }

    @AfterEach
    void exit() {
        if (s != null) {
            s.exit();
            s.quiesce();
            file.close();
            assertEquals(baseline, machine.frames().inUse(), "frames in use after the space exited");
        }
    }

    /** anon-read.c's run(): X, Y, Z made apart, X and Z touched {@code how}, all three made r-x. */
    private String run(boolean ofFile, int how) {
        final int fl = MAP_PRIVATE | MAP_FIXED | (ofFile ? 0 : MAP_ANONYMOUS);
        for (int i = 0; i < 3; i++) {
            final long r = ofFile ? s.mmap(W + i * P, P, i == 1 ? PROT_NONE : PROT_READ, fl, file, i * P)
                    : s.mmap(W + i * P, P, i == 1 ? PROT_NONE : PROT_READ, fl);
            assertEquals(W + i * P, r);
        }
        for (int i = 0; i < 3; i += 2) {
            final long p = W + i * P;
            switch (how) {
                case 1:
                    assertEquals(AccessResult.OK, s.load(cpu, p));
                    break;
                case 2:
                    assertEquals(0, s.madvise(p, P, Mman.MADV_POPULATE_READ));
                    break;
                case 3:
                    assertEquals(0, s.mlock(p, P, 0));
                    break;
                case 4:
                    assertEquals(0, s.mprotect(p, P, PROT_READ | PROT_WRITE));
                    assertEquals(AccessResult.OK, s.store(cpu, p, 1));
                    assertEquals(0, s.mprotect(p, P, PROT_READ));
                    break;
                case 5:
                    assertEquals(0, s.madvise(p, P, Mman.MADV_WILLNEED));
                    break;
                default:
                    break;
            }
        }
        if (how == 3) {
            assertEquals(0, s.munlock(W, 3 * P));
        }
        assertEquals(0, s.mprotect(W, 3 * P, PROT_READ | PROT_EXEC));
        final String l = WindowLayout.of(s, W, 3).replaceAll("r-xp", "");
        assertEquals(0, s.munmap(W, 3 * P));
        return l;
    }

    /** Mainline: the zero page; areas only read merge. */
    @ParameterizedTest
    @MethodSource("spaces")
    void anonymousMemoryWithTheZeroPage(Design d, Arch arch) {
        space(d, arch, true);
        assertEquals(" [0,3)", run(false, 0), "untouched");
        assertEquals(" [0,3)", run(false, 1), "read by the CPU");
        assertEquals(" [0,3)", run(false, 2), "MADV_POPULATE_READ");
        assertEquals(" [0,3)", run(false, 3), "mlock (then munlock)");
        assertEquals(" [0,1) [1,2) [2,3)", run(false, 4), "written (and VM_ACCOUNT from the write)");
        assertEquals(" [0,3)", run(false, 5), "MADV_WILLNEED");
    }

    /** This machine's kernel (anon-read.out): a read allocates a page, and the area gets an anon_vma. */
    @ParameterizedTest
    @MethodSource("spaces")
    void anonymousMemoryWithoutTheZeroPage(Design d, Arch arch) {
        space(d, arch, false);
        assertEquals(" [0,3)", run(false, 0), "untouched");
        assertEquals(" [0,2) [2,3)", run(false, 1), "read by the CPU");
        assertEquals(" [0,2) [2,3)", run(false, 2), "MADV_POPULATE_READ");
        assertEquals(" [0,2) [2,3)", run(false, 3), "mlock (then munlock)");
        assertEquals(" [0,1) [1,2) [2,3)", run(false, 4), "written (and VM_ACCOUNT from the write)");
        assertEquals(" [0,3)", run(false, 5), "MADV_WILLNEED");
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void privateFileMapping(Design d, Arch arch) {
        space(d, arch, false);
        assertEquals(" [0,3)", run(true, 0), "untouched");
        assertEquals(" [0,3)", run(true, 1), "read by the CPU");
        assertEquals(" [0,3)", run(true, 2), "MADV_POPULATE_READ");
        assertEquals(" [0,1) [1,2) [2,3)", run(true, 4), "written (a copy)");
    }
}
