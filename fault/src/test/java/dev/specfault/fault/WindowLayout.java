package dev.specfault.fault;

import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_EXEC;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;

import dev.specfault.vma.Area;
import dev.specfault.vma.VmaFlags;

/**
 * The layout of a window as the programs under docs/linux print it from /proc/self/smaps: the areas
 * overlapping [base, base + n pages) in page offsets from base, their rights, and "gd", "sealed",
 * "dontfork", "random" where VmFlags has them.
 */
final class WindowLayout {
    private WindowLayout() {
    }

    static String of(AddressSpace s, long base, int n) {
        final StringBuilder b = new StringBuilder();
        for (Area a : s.areas()) {
            if (a.start() >= base + n * PAGE_SIZE || a.end() <= base) {
                continue;
            }
            b.append(" [").append((a.start() - base) / PAGE_SIZE).append(',').append((a.end() - base) / PAGE_SIZE)
                    .append(')')
                    .append((a.prot() & PROT_READ) != 0 ? 'r' : '-')
                    .append((a.prot() & PROT_WRITE) != 0 ? 'w' : '-')
                    .append((a.prot() & PROT_EXEC) != 0 ? 'x' : '-')
                    .append((a.flags() & VmaFlags.SHARED) != 0 ? 's' : 'p');
            if ((a.flags() & VmaFlags.GROWSDOWN) != 0) {
                b.append(" gd");
            }
            if ((a.flags() & VmaFlags.SEALED) != 0) {
                b.append(" sealed");
            }
            if ((a.flags() & VmaFlags.DONTCOPY) != 0) {
                b.append(" dontfork");
            }
            if ((a.flags() & VmaFlags.RAND_READ) != 0) {
                b.append(" random");
            }
        }
        return b.toString();
    }
}
