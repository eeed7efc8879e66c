package dev.specfault.stress.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code /proc/PID/maps} snapshot: {@code start-end perms offset dev inode [name]} per line. */
public final class MapsFile {
    /** One line of the file (1-based {@code line}); {@code name} is "" for an unnamed mapping. */
    public record Entry(int line, long start, long end, String perms, long offset, String name) {
        /** PROT_* bits of the perms. */
        public int prot() {
            return (perms.charAt(0) == 'r' ? 1 : 0) | (perms.charAt(1) == 'w' ? 2 : 0) | (perms.charAt(2) == 'x' ? 4 : 0);
        }

        public boolean shared() {
            return perms.charAt(3) == 's';
        }

        /** A file the kernel names by path ({@code /usr/lib/...}, {@code /memfd:x (deleted)}). */
        public boolean isFile() {
            return name.startsWith("/");
        }

        /** A special mapping execve or the kernel made: {@code [vdso]}, {@code [vvar]}, ... */
        public boolean isSpecial() {
            return name.startsWith("[") && !name.equals("[heap]") && !name.equals("[stack]");
        }
    }

    private static final Pattern LINE = Pattern.compile(
            "([0-9a-fA-F]+)-([0-9a-fA-F]+)\\s+([r-][w-][x-][ps])\\s+([0-9a-fA-F]+)\\s+\\S+\\s+\\d+\\s*(.*)");

    private MapsFile() {
    }

    /** Parses the lines; a line that is not a maps line is an {@link IllegalArgumentException}. */
    public static List<Entry> parse(List<String> lines) {
        final List<Entry> l = new ArrayList<>();
        Entry prev = null;
        for (int i = 0; i < lines.size(); i++) {
            final String s = lines.get(i).strip();
            if (s.isEmpty()) {
                continue;
            }
            final Matcher m = LINE.matcher(s);
            if (!m.matches()) {
                throw new IllegalArgumentException("line " + (i + 1) + " is not a /proc/PID/maps line: " + s);
            }
            final long start = hex(m.group(1), i + 1);
            final long end = hex(m.group(2), i + 1);
            if (Long.compareUnsigned(start, end) >= 0 || (start & 0xfff) != 0 || (end & 0xfff) != 0) {
                throw new IllegalArgumentException("line " + (i + 1) + ": bad range " + m.group(1) + "-" + m.group(2));
            }
            if (prev != null && Long.compareUnsigned(start, prev.end()) < 0) {
                throw new IllegalArgumentException("line " + (i + 1) + " starts below the end of line " + prev.line()
                        + " (the kernel lists mappings in address order, without overlaps)");
            }
            prev = new Entry(i + 1, start, end, m.group(3), hex(m.group(4), i + 1), m.group(5).strip());
            l.add(prev);
        }
        return l;
    }

    private static long hex(String s, int line) {
        try {
            return Long.parseUnsignedLong(s, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("line " + line + ": " + s + " is more than 64 bits");
        }
    }
}
