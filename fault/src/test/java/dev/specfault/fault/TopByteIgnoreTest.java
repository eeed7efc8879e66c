package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.vma.Area;
import dev.specfault.vma.VmaFlags;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tagged pointers. arm64 Linux always sets TCR_EL1.TBI0: a load or store through a pointer with a tag
 * in bits 63:56 (HWASan, MTE) reaches the untagged address's page, faults there as the untagged
 * address (do_mem_abort's untagged_addr), and shares its TLB entry, so that the flushes of munmap,
 * which name the untagged address, remove it. x86-64 without LAM has no such thing: the address is
 * non-canonical (#GP), SIGSEGV, also where its low 57 bits name a page the TLB holds (found by this
 * test, 2026-11-30: the TLB keeps 45 bits of a page number, and a non-canonical address with bit 56
 * clear hit the entry of the canonical one).
 */
class TopByteIgnoreTest {
    private static final long BASE = 0x40000000L;
    private static final long TAG = 0x5AL << 56;
    private static final long OTHER_TAG = 0xF1L << 56;

    private Cpu cpu;

    /** Every design on x86-64, x86-64 with LA57, and arm64. */
    static Stream<Arguments> spaces() {
        return ContractDesigns.DESIGNS.stream().flatMap(d -> Stream.of(Arch.X86_64, Arch.X86_64_LA57, Arch.ARM64)
                .map(a -> Arguments.of(d, a)));
    }

    private AddressSpace space(Design d, Arch arch) {
        final Machine m = Machine.builder(arch).frameLimit(256).cpus(1).build();
        cpu = m.cpu(0);
        cpu.bind();
        return Spaces.create(new SpaceOptions(d, m).name("tbi").driver(GracePeriodDriver.inline()));
    }

    @AfterEach
    void unbind() {
        if (cpu != null && cpu.isBoundToCurrentThread()) {
            cpu.unbind();
        }
    }

    private long load(AddressSpace s, long va) {
        final int r = s.load(cpu, va);
        return r == AccessResult.OK ? cpu.value() : -1000 - r;
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void aTaggedPointerReachesItsPageOnArm64Only(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        assertEquals(BASE, s.mmap(BASE, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
        final boolean tbi = arch == Arch.ARM64;
        // the first touch is a tagged store: the fault is handled at the untagged address
        assertEquals(tbi ? AccessResult.OK : AccessResult.SIGSEGV, s.store(cpu, BASE | TAG, 42));
        assertEquals(tbi ? 42 : 0, load(s, BASE));
        assertEquals(tbi ? 42 : -1000 - AccessResult.SIGSEGV, load(s, BASE | OTHER_TAG), "another tag, the same page");
        assertEquals(AccessResult.OK, s.store(cpu, BASE + PAGE_SIZE, 7));
        assertEquals(tbi ? 7 : -1000 - AccessResult.SIGSEGV, load(s, (BASE + PAGE_SIZE) | TAG), "a page faulted untagged");
        // munmap flushes the untagged addresses: no tagged translation may outlive it
        assertEquals(0, s.munmap(BASE, 2 * PAGE_SIZE));
        assertEquals(-1000 - AccessResult.SIGSEGV, load(s, BASE | TAG));
        assertEquals(-1000 - AccessResult.SIGSEGV, load(s, (BASE + PAGE_SIZE) | OTHER_TAG));
        assertEquals(List.of(), s.checkQuiet());
    }

    /**
     * A misaligned word is SIGBUS (the emulator's words are aligned) only where the address could
     * translate: a non-canonical one on x86 is #GP and one outside TTBR0 on arm64 a translation
     * fault, SIGSEGV both, whatever the low bits (before 2026-12-01 the alignment came first).
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void aMisalignedAddressThatCannotTranslateIsSigsegvNotSigbus(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        assertEquals(BASE, s.mmap(BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
        assertEquals(AccessResult.SIGBUS, s.store(cpu, BASE + 3, 1), "misaligned, mapped");
        assertEquals(AccessResult.SIGBUS, s.load(cpu, BASE + 2 * PAGE_SIZE + 4), "misaligned, unmapped but translatable");
        // non-canonical on x86 with 48 and with 57 bits; bit 55 set: not a tag on arm64, above TTBR0
        final long outside = 1L << 62 | 1L << 55 | BASE;
        assertEquals(AccessResult.SIGSEGV, s.load(cpu, outside + 1), "misaligned, cannot translate");
        assertEquals(AccessResult.SIGSEGV, s.store(cpu, outside + 5, 1));
        assertEquals(arch == Arch.ARM64 ? AccessResult.SIGBUS : AccessResult.SIGSEGV, s.load(cpu, (BASE + 1) | TAG),
                "a tagged misaligned pointer translates on arm64 only");
        assertEquals(List.of(), s.checkQuiet());
    }

    /**
     * The address-space calls untag on arm64 (munmap, mprotect, madvise after its range checks,
     * mremap's old address, mlock, munlock, msync, mincore), mmap and mremap's new address do not: there a tagged
     * address is out of range (ENOMEM from mmap's MAP_FIXED, EINVAL from mremap's target). The calls
     * and the x86 answers are {@code docs/linux/tagged-syscalls.c}'s, on this machine's kernel (6.18);
     * arm64's follow its untagged_addr ({@code addr & sign_extend64(addr, 55)}).
     */
    @ParameterizedTest
    @MethodSource("spaces")
    void theAddressSpaceCallsUntagOnArm64(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        final int rw = PROT_READ | PROT_WRITE;
        final int anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
        final boolean tbi = arch == Arch.ARM64;
        final long segv = -1000 - AccessResult.SIGSEGV;
        final long b55 = 1L << 55;
        assertEquals(-Errno.ENOMEM, s.mmap(BASE | TAG, PAGE_SIZE, rw, anon), "mmap does not untag");
        final long hinted = s.mmap(BASE | TAG, PAGE_SIZE, rw, MAP_PRIVATE | MAP_ANONYMOUS);
        assertTrue(hinted > 0 && hinted >>> 48 == 0, "a tagged hint is ignored: " + Long.toHexString(hinted));
        final long brk = s.brk(0);
        assertEquals(brk, s.brk(brk + PAGE_SIZE | TAG), "brk does not untag");
        assertEquals(BASE, s.mmap(BASE, 4 * PAGE_SIZE, rw, anon));
        assertEquals(AccessResult.OK, s.store(cpu, BASE, 5));
        assertEquals(AccessResult.OK, s.store(cpu, BASE + PAGE_SIZE, 9));
        assertEquals(AccessResult.OK, s.store(cpu, BASE + 3 * PAGE_SIZE, 11));
        assertEquals(tbi ? 0 : -Errno.ENOMEM, s.mprotect(BASE | TAG, PAGE_SIZE, PROT_READ));
        assertEquals(tbi ? AccessResult.SIGSEGV : AccessResult.OK, s.store(cpu, BASE, 5), "read-only after a tagged mprotect");
        assertEquals(tbi ? 0 : -Errno.ENOMEM, s.madvise((BASE + PAGE_SIZE) | TAG, PAGE_SIZE, Mman.MADV_DONTNEED));
        assertEquals(tbi ? 0 : 9, load(s, BASE + PAGE_SIZE), "dropped by a tagged MADV_DONTNEED");
        // madvise checks the range as given: 0xff.. + 2^56 wraps, whatever the untagged start
        assertEquals(-Errno.EINVAL, s.madvise(BASE | 0xFFL << 56, 1L << 56, Mman.MADV_DONTNEED));
        assertEquals(5, load(s, BASE));
        assertEquals(tbi ? 0 : -Errno.ENOMEM, s.mlock((BASE + 2 * PAGE_SIZE) | TAG, PAGE_SIZE, 0));
        assertEquals(tbi, locked(s, BASE + 2 * PAGE_SIZE), "locked by a tagged mlock");
        assertEquals(tbi ? 0 : -Errno.ENOMEM, s.munlock((BASE + 2 * PAGE_SIZE) | TAG, PAGE_SIZE));
        assertFalse(locked(s, BASE + 2 * PAGE_SIZE));
        // msync and mincore untag first (x86, checked on 6.18: ENOMEM, no area / above user space)
        assertEquals(tbi ? 0 : -Errno.ENOMEM, s.msync(BASE | TAG, PAGE_SIZE, Mman.MS_SYNC));
        final byte[] vec = new byte[2];
        assertEquals(tbi ? 0 : -Errno.ENOMEM, s.mincore(BASE | TAG, 2 * PAGE_SIZE, vec));
        assertEquals(tbi ? 1 : 0, vec[0], "BASE is in memory");
        assertEquals(-Errno.ENOMEM, s.msync(b55, PAGE_SIZE, Mman.MS_SYNC));
        // bit 55 set: not a tag, the address stays as it is (above user space: no area)
        assertEquals(-Errno.ENOMEM, s.madvise(b55, b55, Mman.MADV_DONTNEED));
        assertEquals(-Errno.ENOMEM, s.mlock(b55, b55, 0));
        assertEquals(-Errno.ENOMEM, s.munlock(b55, b55));
        assertEquals(-Errno.EINVAL, s.mremap(BASE, PAGE_SIZE, PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED,
                (BASE + 8 * PAGE_SIZE) | TAG), "mremap's new address is not untagged");
        assertEquals(tbi ? BASE + 8 * PAGE_SIZE : -Errno.EFAULT, s.mremap((BASE + 3 * PAGE_SIZE) | TAG, PAGE_SIZE,
                PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, BASE + 8 * PAGE_SIZE), "mremap's old address is");
        assertEquals(tbi ? segv : 11, load(s, BASE + 3 * PAGE_SIZE));
        assertEquals(tbi ? 11 : segv, load(s, BASE + 8 * PAGE_SIZE), "the page moved");
        assertEquals(tbi ? 0 : -Errno.EINVAL, s.munmap((BASE + 2 * PAGE_SIZE) | TAG, PAGE_SIZE));
        assertEquals(tbi ? segv : 0, load(s, BASE + 2 * PAGE_SIZE));
        assertEquals(List.of(), s.checkQuiet());
    }

    private static boolean locked(AddressSpace s, long va) {
        for (Area a : s.areas()) {
            if (a.start() <= va && va < a.end()) {
                return (a.flags() & VmaFlags.LOCKED) != 0;
            }
        }
        return false;
    }

    /** A fetch is translated as a load is: Linux leaves TCR_EL1.TBID0 clear. */
    @ParameterizedTest
    @MethodSource("spaces")
    void aFetchThroughATaggedPointerOnArm64(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        assertEquals(BASE, s.mmap(BASE, PAGE_SIZE, PROT_READ | Mman.PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
        assertEquals(0, load(s, BASE)); // the page in, and this CPU in the space
        assertEquals(AccessResult.OK, cpu.fetch(BASE));
        assertEquals(arch == Arch.ARM64 ? AccessResult.OK : AccessResult.SIGSEGV, cpu.fetch(BASE | TAG));
        assertEquals(List.of(), s.checkQuiet());
    }

    /** Bit 55 picks TTBR1's half (the kernel's), tag or not: EL0 faults there, SIGSEGV; so does 0x0080.. on x86. */
    @ParameterizedTest
    @MethodSource("spaces")
    void bit55IsNotATag(Design d, Arch arch) {
        final AddressSpace s = space(d, arch);
        assertEquals(BASE, s.mmap(BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED));
        assertEquals(AccessResult.OK, s.store(cpu, BASE, 1));
        assertEquals(-1000 - AccessResult.SIGSEGV, load(s, BASE | 1L << 55));
        assertEquals(-1000 - AccessResult.SIGSEGV, load(s, BASE | 1L << 55 | TAG));
        assertEquals(1, load(s, BASE));
        assertEquals(List.of(), s.checkQuiet());
    }
}
