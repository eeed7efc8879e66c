package dev.specfault.pmap;

import dev.specfault.pmap.arm64.Arm64PteFormat;
import dev.specfault.pmap.x86.X86PteFormat;

/**
 * The emulated architectures and their paging modes.
 *
 * <pre>
 *   x86-64, 4 levels:  PML4  PDPT  PD   PT   | 47..39 38..30 29..21 20..12 | 48-bit VA
 *   x86-64, LA57:      PML5  PML4  PDPT PD PT| 56..48 ...                  | 57-bit VA
 *   arm64, 4 KiB:      L0    L1    L2   L3   | 47..39 38..30 29..21 20..12 | 48-bit VA (TTBR0)
 * </pre>
 * Levels are numbered from the leaf, arch-neutrally: level 1 is the table of 4 KiB PTEs (x86 PT,
 * arm64 L3), level 2 the one above (PD / L2), up to {@link #levels()} (PML4 or PML5 / L0). arm64's own
 * level number is {@code 4 - level}.
 */
public enum Arch {
    X86_64("x86", 4, 48, 0x7ffffffff000L, 0x7ffffffff000L),
    X86_64_LA57("x86-la57", 5, 57, 0x00fffffffffff000L, 0x7ffffffff000L),
    ARM64("arm64", 4, 48, 1L << 48, 1L << 48);

    private final String cliName;
    private final int levels;
    private final int vaBits;
    private final long userTop;
    private final long defaultTop;

    Arch(String cliName, int levels, int vaBits, long userTop, long defaultTop) {
        this.cliName = cliName;
        this.levels = levels;
        this.vaBits = vaBits;
        this.userTop = userTop;
        this.defaultTop = defaultTop;
    }

    /** The name the command line uses: x86, x86-la57, arm64. */
    public String cliName() {
        return cliName;
    }

    /** Levels of tables from the root to the leaf table. */
    public int levels() {
        return levels;
    }

    /** Virtual-address bits translated. */
    public int vaBits() {
        return vaBits;
    }

    /** The end (exclusive) of user space: Linux TASK_SIZE_MAX (x86) / TASK_SIZE (arm64). */
    public long userTop() {
        return userTop;
    }

    /**
     * Where top-down placement starts when no hint asks for more: 47 bits on x86 even under LA57
     * (Linux maps above only for hints above 47 bits), 48 bits on arm64.
     */
    public long defaultTop() {
        return defaultTop;
    }

    /** The entry index of {@code va} in a table of the given level. */
    public static int index(long va, int level) {
        return (int) (va >>> (12 + 9 * (level - 1))) & 511;
    }

    /** Bytes one entry of a table of the given level covers (4 KiB at level 1). */
    public static long span(int level) {
        return 1L << (12 + 9 * (level - 1));
    }

    public boolean isX86() {
        return this != ARM64;
    }

    /** The PTE format of this architecture. */
    public PteFormat format() {
        return isX86() ? X86PteFormat.INSTANCE : Arm64PteFormat.INSTANCE;
    }

    /** The architecture of a command-line name, or null. */
    public static Arch byCliName(String name) {
        for (Arch a : values()) {
            if (a.cliName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
