package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_GROWSDOWN;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_EXEC;
import static dev.specfault.fault.Mman.PROT_GROWSDOWN;
import static dev.specfault.fault.Mman.PROT_GROWSUP;
import static dev.specfault.fault.Mman.PROT_NONE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_SEM;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.specfault.pmap.Arch;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * mprotect with PROT_GROWSDOWN and PROT_GROWSUP, case for case as docs/linux/prot-grows.c ran on
 * this machine's kernel (6.18; its output is docs/linux/prot-grows.out): the same calls at the same
 * page offsets of an empty window, the same results, the same layouts (areas overlapping the case's
 * pages in page offsets from its base, rights, and "gd" for a grows-down area, "sealed"). On every
 * design and both architectures.
 */
class ProtGrowsTest extends OneCpuSpaceTest {
    static final long P = PAGE_SIZE;
    static final int RW = PROT_READ | PROT_WRITE;
    static final int GD = PROT_GROWSDOWN;
    static final int GU = PROT_GROWSUP;
    /** The window: 1024 pages with nothing mapped. */
    static final long W = 0x1000_0000L;
    private static final long EINVAL = -Errno.EINVAL;
    private static final long ENOMEM = -Errno.ENOMEM;

    static Stream<Arguments> spaces() {
        return ContractDesigns.spaces();
    }

    private AddressSpace s;

    private AddressSpace space(Design d, Arch arch) {
        s = newSpace(d, arch, SpaceConfig.defaults(arch), 1024);
        return s;
    }

    @AfterEach
    void exit() {
        if (s != null) {
            s.exit();
            s.quiesce();
            assertEquals(baseline, machine.frames().inUse(), "frames in use after the space exited");
        }
    }

    /** prot-grows.c's at(): a private anonymous FIXED mapping at page {@code page} of the window. */
    private long at(int page, int n, int prot, int flags) {
        final long a = s.mmap(W + page * P, n * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | flags);
        assertEquals(W + page * P, a);
        return a;
    }

    /** prot-grows.c's layout(). */
    private String layout(long base, int n) {
        return WindowLayout.of(s, base, n);
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void arguments(Design d, Arch arch) {
        space(d, arch);
        final long a = at(0, 4, RW, MAP_GROWSDOWN);
        assertEquals(EINVAL, s.mprotect(a + P, P, PROT_READ | GD | GU));
        assertEquals(EINVAL, s.mprotect(a + 1, P, PROT_READ | GD | GU));
        assertEquals(EINVAL, s.mprotect(a + 1, P, PROT_READ | GD));
        assertEquals(0, s.mprotect(a + P, 0, PROT_READ | GD));
        assertEquals(EINVAL, s.mprotect(a + P, 0, PROT_READ | GD | GU), "both: before len 0");
        assertEquals(ENOMEM, s.mprotect(a + P, -P * 2, PROT_READ | GD));
        // 0x10 is PROT_BTI on arm64, valid where the CPU has BTI; the emulated arm64 CPU has none
        assertEquals(EINVAL, s.mprotect(a + P, P, 0x10 | GD));
        assertEquals(0, s.mprotect(a + P, P, PROT_SEM | PROT_READ | GD));
        assertEquals(" [0,2)r--p gd [2,4)rw-p gd", layout(a, 4));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void fromInsideAGrowsDownArea(Design d, Arch arch) {
        space(d, arch);
        final long a = at(0, 4, RW, MAP_GROWSDOWN);
        assertEquals(0, s.mprotect(a + P, P, PROT_SEM | PROT_READ | GD));
        assertEquals(0, s.mprotect(a + 2 * P, P, PROT_READ | GD));
        assertEquals(" [0,3)r--p gd [3,4)rw-p gd", layout(a, 4), "from the split area's start");
        assertEquals(0, s.mprotect(a + 3 * P, P, RW | GD));
        assertEquals(" [0,3)r--p gd [3,4)rw-p gd", layout(a, 4));
        assertEquals(0, s.mprotect(a + 3 * P, P, PROT_READ));
        assertEquals(" [0,4)r--p gd", layout(a, 4));
        assertEquals(0, s.mprotect(a + 3 * P, P, PROT_NONE | GD));
        assertEquals(" [0,4)---p gd", layout(a, 4));
        assertEquals(0, s.mprotect(a + P, P, RW | GD));
        assertEquals(" [0,2)rw-p gd [2,4)---p gd", layout(a, 4));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void onAreasThatDoNotGrowDown(Design d, Arch arch) {
        space(d, arch);
        final long b = at(8, 4, RW, 0);
        assertEquals(EINVAL, s.mprotect(b + P, P, PROT_READ | GD));
        assertEquals(EINVAL, s.mprotect(b, P, PROT_READ | GD));
        assertEquals(" [0,4)rw-p", layout(b, 4));
        final long c = at(16, 2, RW, 0);
        at(18, 2, RW, MAP_GROWSDOWN);
        assertEquals(EINVAL, s.mprotect(c + P, 2 * P, PROT_READ | GD), "the first area in the range decides");
        assertEquals(" [0,2)rw-p [2,4)rw-p gd", layout(c, 4));
        assertEquals(0, s.mprotect(c + 2 * P, P, PROT_READ | GD));
        assertEquals(" [0,2)rw-p [2,3)r--p gd [3,4)rw-p gd", layout(c, 4));
        final long sh = s.mmap(W + 80 * P, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN);
        assertEquals(EINVAL, sh, "a shared area cannot grow down");
        assertEquals(W + 80 * P, s.mmap(W + 80 * P, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED));
        assertEquals(EINVAL, s.mprotect(W + 81 * P, P, PROT_READ | GD));
        assertEquals(" [0,2)rw-s", layout(W + 80 * P, 2));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void withAStartInTheHoleBelow(Design d, Arch arch) {
        space(d, arch);
        final long dd = at(26, 2, RW, MAP_GROWSDOWN);
        assertEquals(ENOMEM, s.mprotect(dd - 4 * P, 2 * P, PROT_READ | GD));
        assertEquals(ENOMEM, s.mprotect(dd - 4 * P, 4 * P, PROT_READ | GD), "a range that ends at the area");
        assertEquals(" [4,6)rw-p gd", layout(dd - 4 * P, 6));
        assertEquals(0, s.mprotect(dd - 4 * P, 5 * P, PROT_READ | GD), "the start moves up to the area's");
        assertEquals(" [4,5)r--p gd [5,6)rw-p gd", layout(dd - 4 * P, 6));
        assertEquals(0, s.mprotect(dd - P, 2 * P, PROT_NONE | GD));
        assertEquals(" [4,5)---p gd [5,6)rw-p gd", layout(dd - 4 * P, 6));
        final long d2 = at(32, 2, RW, 0);
        assertEquals(EINVAL, s.mprotect(d2 - 2 * P, 3 * P, PROT_READ | GD));
        assertEquals(" [0,2)rw-p", layout(d2, 2));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void pastTheAreasEnd(Design d, Arch arch) {
        space(d, arch);
        final long e = at(40, 2, RW, MAP_GROWSDOWN);
        assertEquals(ENOMEM, s.mprotect(e + P, 3 * P, PROT_READ | GD));
        assertEquals(" [0,2)r--p gd", layout(e, 4), "changed up to the hole");
        at(42, 2, RW, 0);
        assertEquals(ENOMEM, s.mprotect(e + P, 4 * P, PROT_NONE | GD));
        assertEquals(" [0,2)---p gd [2,4)---p", layout(e, 5));
        at(44, 1, RW, MAP_GROWSDOWN);
        assertEquals(ENOMEM, s.mprotect(e + P, 5 * P, RW | GD));
        assertEquals(" [0,2)rw-p gd [2,4)rw-p [4,5)rw-p gd", layout(e, 6));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void onASplitGrowsDownArea(Design d, Arch arch) {
        space(d, arch);
        final long f = at(50, 6, RW, MAP_GROWSDOWN);
        assertEquals(0, s.mprotect(f + 2 * P, 2 * P, PROT_READ));
        assertEquals(" [0,2)rw-p gd [2,4)r--p gd [4,6)rw-p gd", layout(f, 6));
        assertEquals(0, s.mprotect(f + 4 * P, P, PROT_NONE | GD));
        assertEquals(" [0,2)rw-p gd [2,4)r--p gd [4,5)---p gd [5,6)rw-p gd", layout(f, 6));
        assertEquals(0, s.mprotect(f + 3 * P, P, PROT_EXEC | PROT_READ | GD));
        assertEquals(" [0,2)rw-p gd [2,4)r-xp gd [4,5)---p gd [5,6)rw-p gd", layout(f, 6));
        assertEquals(0, s.mprotect(f + P, 5 * P, RW | GD));
        assertEquals(" [0,6)rw-p gd", layout(f, 6));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void growsUp(Design d, Arch arch) {
        space(d, arch);
        final long g = at(60, 2, RW, MAP_GROWSDOWN);
        at(62, 2, RW, 0);
        assertEquals(EINVAL, s.mprotect(g, P, PROT_READ | GU), "no area grows up");
        assertEquals(EINVAL, s.mprotect(g + 2 * P, P, PROT_READ | GU));
        assertEquals(ENOMEM, s.mprotect(g - P, 2 * P, PROT_READ | GU), "a start in a hole");
        assertEquals(ENOMEM, s.mprotect(g + 4 * P, P, PROT_READ | GU));
        assertEquals(" [0,2)rw-p gd [2,4)rw-p", layout(g, 4));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void andMseal(Design d, Arch arch) {
        space(d, arch);
        final long h = at(70, 3, RW, MAP_GROWSDOWN);
        assertEquals(0, s.mseal(h, P, 0));
        assertEquals(0, s.mprotect(h + 2 * P, P, PROT_READ | GD), "from the start of the unsealed piece");
        assertEquals(" [0,1)rw-p gd sealed [1,3)r--p gd", layout(h, 3));
        assertEquals(0, s.mprotect(h + 2 * P, P, PROT_READ));
        assertEquals(" [0,1)rw-p gd sealed [1,3)r--p gd", layout(h, 3));
    }
}
