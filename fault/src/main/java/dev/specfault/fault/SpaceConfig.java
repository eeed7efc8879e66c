package dev.specfault.fault;

import dev.specfault.pmap.Arch;

/**
 * The limits and layout defaults of an address space: Linux x86-64 (or arm64) without address
 * randomization, so that placement is deterministic and a real program's {@code /proc/PID/maps}
 * can be reproduced page for page.
 *
 * @param taskSize       end of user space for FIXED mappings and hints (Linux TASK_SIZE; under LA57
 *                       hints above 47 bits may use up to 56 bits)
 * @param mmapWindow     top of default placement and of the stack (Linux DEFAULT_MAP_WINDOW /
 *                       STACK_TOP: 47 bits on x86 even under LA57, 48 bits on arm64)
 * @param mmapMinAddr    {@code vm.mmap_min_addr}: 64 KiB
 * @param rlimitStack    RLIMIT_STACK: 8 MiB
 * @param stackGuardGap  {@code stack_guard_gap}: 256 pages
 * @param maxMapCount    {@code vm.max_map_count}: 65530
 * @param brkStart       where the program break starts ({@code mm->start_brk})
 * @param initialStack   whether a new space starts with the 132 KiB GROWSDOWN stack below
 *                       {@code mmapWindow}, as after execve
 * @param zeroPage       whether a read of private anonymous memory maps the shared zero page and
 *                       leaves the area without an anon_vma, as mainline's {@code do_anonymous_page}
 *                       (true, the default); false for a kernel that allocates a page there, so that
 *                       the read gives the area its anon_vma as a write does (measured on this
 *                       project's machines from 2026-12-01: 6.18.44-fc-v1045, docs/linux/anon-read.c;
 *                       the build before, -fc-v782, used the zero page: account-anon-vma.out)
 */
public record SpaceConfig(long taskSize, long mmapWindow, long mmapMinAddr, long rlimitStack, long stackGuardGap,
                          int maxMapCount, long brkStart, boolean initialStack, boolean zeroPage) {

    /** The initial stack's size after execve with a small environment (Linux: 132 KiB mapped). */
    public static final long INITIAL_STACK = 132 * 1024;

    public SpaceConfig {
        if (!Mman.aligned(taskSize) || !Mman.aligned(mmapWindow) || mmapWindow > taskSize) {
            throw new IllegalArgumentException("bad task size / window");
        }
        if (!Mman.aligned(brkStart) || brkStart < mmapMinAddr || maxMapCount < 1) {
            throw new IllegalArgumentException("bad brk start / map count");
        }
    }

    /** Linux's defaults for {@code arch} without randomization. */
    public static SpaceConfig defaults(Arch arch) {
        return new SpaceConfig(arch.userTop(), arch.defaultTop(), 0x10000, 8L << 20, 256L * Mman.PAGE_SIZE, 65530,
                0x555555559000L, true, true);
    }

    public SpaceConfig withMaxMapCount(int n) {
        return new SpaceConfig(taskSize, mmapWindow, mmapMinAddr, rlimitStack, stackGuardGap, n, brkStart,
                initialStack, zeroPage);
    }

    public SpaceConfig withRlimitStack(long bytes) {
        return new SpaceConfig(taskSize, mmapWindow, mmapMinAddr, bytes, stackGuardGap, maxMapCount, brkStart,
                initialStack, zeroPage);
    }

    public SpaceConfig withInitialStack(boolean on) {
        return new SpaceConfig(taskSize, mmapWindow, mmapMinAddr, rlimitStack, stackGuardGap, maxMapCount, brkStart,
                on, zeroPage);
    }

    public SpaceConfig withBrkStart(long addr) {
        return new SpaceConfig(taskSize, mmapWindow, mmapMinAddr, rlimitStack, stackGuardGap, maxMapCount, addr,
                initialStack, zeroPage);
    }

    public SpaceConfig withZeroPage(boolean on) {
        return new SpaceConfig(taskSize, mmapWindow, mmapMinAddr, rlimitStack, stackGuardGap, maxMapCount, brkStart,
                initialStack, on);
    }

    /** The end of the stack area (Linux STACK_TOP without randomization). */
    public long stackTop() {
        return mmapWindow;
    }

    /**
     * Linux {@code mmap_base()}: below the stack by RLIMIT_STACK plus the guard gap, at least 128 MiB
     * and at most 5/6 of the window.
     */
    public long mmapBase() {
        long gap = rlimitStack;
        if (gap + stackGuardGap > gap) {
            gap += stackGuardGap;
        }
        final long min = 128L << 20;
        final long max = mmapWindow / 6 * 5;
        gap = Math.max(min, Math.min(max, gap));
        return (mmapWindow - gap) & Mman.PAGE_MASK;
    }
}
