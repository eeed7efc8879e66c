package dev.specfault.fault;

import dev.specfault.vma.Area;
import dev.specfault.vma.VmaFlags;
import java.util.List;

/** {@code /proc/PID/maps} lines: {@code start-end perms offset dev inode  name}. */
public final class ProcMaps {
    private ProcMaps() {
    }

    public static String format(List<Area> areas, AddressSpace s) {
        final StringBuilder b = new StringBuilder();
        for (Area a : areas) {
            b.append(line(a, s)).append('\n');
        }
        return b.toString();
    }

    public static String line(Area a, AddressSpace s) {
        final StringBuilder b = new StringBuilder();
        b.append(String.format("%08x-%08x ", a.start(), a.end()));
        b.append((a.prot() & Mman.PROT_READ) != 0 ? 'r' : '-');
        b.append((a.prot() & Mman.PROT_WRITE) != 0 ? 'w' : '-');
        b.append((a.prot() & Mman.PROT_EXEC) != 0 ? 'x' : '-');
        b.append((a.flags() & VmaFlags.SHARED) != 0 ? 's' : 'p');
        final boolean file = a.backing() instanceof FileObject f && !SharedAnon.is(f);
        b.append(String.format(" %08x 00:00 0", file ? a.pgoff() * Mman.PAGE_SIZE : 0));
        String name = "";
        if (file) {
            name = "/memfd:" + ((FileObject) a.backing()).name() + " (deleted)";
        } else if (a.backing() instanceof FileObject) {
            name = "/dev/zero (deleted)";
        } else if (s != null && a.start() < s.currentBrk() && a.end() > s.startBrk()) {
            name = "[heap]"; // vma_is_initial_heap: any overlap with [start_brk, brk), merged areas too
        } else if (s != null && a.end() == s.config().stackTop() && (a.flags() & VmaFlags.GROWSDOWN) != 0) {
            name = "[stack]";
        }
        if (!name.isEmpty()) {
            while (b.length() < 73) {
                b.append(' ');
            }
            b.append(name);
        }
        return b.toString();
    }
}
