package dev.specfault.stress.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import picocli.CommandLine;

/**
 * What a command checks before it runs, so that a bad output path or a machine too large for the
 * JVM is a one-line error at once, not a stack trace or a lost run at the end; and the writes at
 * the end, whose failures name the file.
 */
public final class Outputs {
    private Outputs() {
    }

    /** The one file that is not a regular file and may be an output: it takes anything at once. */
    private static final Path DEV_NULL = Path.of("/dev/null");

    /**
     * A one-line error now if {@code f} (when set) cannot be written: an empty path, a directory, a
     * missing parent (or one that is not a directory), something that exists and is not a regular
     * file (a FIFO would block the write at the end; a device such as {@code /dev/full} fails it;
     * {@code /dev/null} is allowed), or a file that cannot be opened for writing. A regular file or a
     * missing path is probed by opening it (a file the probe creates is removed again); a symbolic
     * link is followed and what it names is checked, the link left alone.
     */
    static void file(CommandLine cl, String option, Path f) {
        if (f != null && f.toString().isEmpty()) {
            throw new CommandLine.ParameterException(cl, option + " is empty (a file name is needed)");
        }
        file(cl, option, f, 0, f);
    }

    private static void file(CommandLine cl, String option, Path f, int links, Path given) {
        if (f == null) {
            return;
        }
        if (Files.isSymbolicLink(f)) { // probe what the link names, never the link itself
            if (links >= 8) {
                throw new CommandLine.ParameterException(cl, option + " " + f + ": too many levels of symbolic links");
            }
            final Path target;
            final Path named;
            try {
                named = Files.readSymbolicLink(f);
                target = f.toAbsolutePath().resolveSibling(named);
            } catch (IOException e) {
                throw new CommandLine.ParameterException(cl, option + " " + f + " cannot be read: " + reason(e));
            }
            // /dev/stdout on a pipe: /proc/self/fd/1 names "pipe:[N]", which is no path at all.
            final String n = named.toString();
            if (n.startsWith("pipe:[") || n.startsWith("socket:[") || n.startsWith("anon_inode:")) {
                throw new CommandLine.ParameterException(cl, option + " " + given + " is not a regular file ("
                        + (given.equals(f) ? "" : f + ", ") + n.substring(0, n.indexOf(':')).replace('_', ' ')
                        + " " + n.substring(n.indexOf(':') + 1) + "): name a file");
            }
            file(cl, option, target, links + 1, given);
            return;
        }
        final Path dir = f.toAbsolutePath().getParent();
        if (Files.isDirectory(f)) {
            throw new CommandLine.ParameterException(cl, option + " " + f + " is a directory");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            notADirectory(cl, option, f, dir);
            throw new CommandLine.ParameterException(cl, option + " " + f + ": no such directory " + dir);
        }
        final boolean existed = Files.exists(f, LinkOption.NOFOLLOW_LINKS);
        if (existed && !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            if (!isDevNull(f)) {
                throw new CommandLine.ParameterException(cl, option + " " + f + " is not a regular file (" + kind(f) + ")");
            }
            if (!Files.isWritable(f)) {
                throw new CommandLine.ParameterException(cl, option + " " + f + " cannot be written");
            }
            return;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            ch.size();
        } catch (IOException | SecurityException e) {
            throw new CommandLine.ParameterException(cl, option + " " + f + " cannot be written: " + reason(e));
        }
        if (!existed) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                // created empty and left there: the run writes it anyway
            }
        }
    }

    /**
     * A one-line error now if a file the run will write into directory {@code d} (when set) exists
     * and cannot take it: a directory, a FIFO (the write at the end would block for ever), a device,
     * a file that cannot be written. Other entries of the directory are left alone. Missing files
     * are fine: {@link #directory} probed that files can be created there.
     */
    static void filesIn(CommandLine cl, String option, Path d, java.util.Collection<String> names) {
        if (d == null || !Files.isDirectory(d)) {
            return;
        }
        for (String n : names) {
            final Path f = d.resolve(n);
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(f)) {
                file(cl, option, f, 0, f);
            }
        }
    }

    /** A one-line error now if {@code d} (when set) is not, and cannot be made, a writable directory. */
    static void directory(CommandLine cl, String option, Path d) {
        if (d == null) {
            return;
        }
        if (d.toString().isEmpty()) {
            throw new CommandLine.ParameterException(cl, option + " is empty (a directory name is needed)");
        }
        if (Files.exists(d) && !Files.isDirectory(d)) {
            throw new CommandLine.ParameterException(cl, option + " " + d + " exists and is not a directory");
        }
        final boolean existed = Files.isDirectory(d);
        if (!existed) {
            notADirectory(cl, option, d, d.toAbsolutePath().getParent());
        }
        try {
            Files.createDirectories(d);
            Files.delete(Files.createTempFile(d, ".specfault-", ".probe"));
        } catch (IOException | RuntimeException e) {
            if (existed) {
                // The directory is there: "no such file" (what /proc/sys/kernel answers) would mislead.
                final String why = reason(e);
                throw new CommandLine.ParameterException(cl, option + " " + d + " is a directory that is not writable"
                        + (why.equals("no such file or directory") ? " (no file can be created in it)" : " (" + why + ")"));
            }
            throw new CommandLine.ParameterException(cl, option + " " + d + " cannot be written: " + reason(e));
        }
    }

    /**
     * A one-line error now if two outputs (option, path, option, path, ...; unset ones null) name the
     * same file or directory: the second would overwrite the first, or fail only after the run.
     * {@code /dev/null} may be given to several.
     */
    static void distinct(CommandLine cl, Object... optionsAndPaths) {
        final java.util.Map<Path, String> seen = new java.util.HashMap<>();
        for (int i = 0; i < optionsAndPaths.length; i += 2) {
            final String option = (String) optionsAndPaths[i];
            final Path p = (Path) optionsAndPaths[i + 1];
            if (p == null || isDevNull(p)) {
                continue;
            }
            final String other = seen.putIfAbsent(canonical(p), option);
            if (other != null) {
                throw new CommandLine.ParameterException(cl, other + " and " + option + " both name " + p
                        + " (each output needs its own)");
            }
        }
    }

    /** {@code p} with its links (a dangling one too) and {@code ..} resolved as far as it exists. */
    private static Path canonical(Path p) {
        return canonical(p, 0);
    }

    private static Path canonical(Path p, int links) {
        final Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException | RuntimeException e) {
            final Path parent = abs.getParent();
            if (parent == null || abs.getFileName() == null) {
                return abs;
            }
            final Path dir = canonical(parent, links);
            final Path f = dir.resolve(abs.getFileName());
            if (links < 8 && Files.isSymbolicLink(f)) { // dangling: where the write would create the file
                try {
                    return canonical(dir.resolve(Files.readSymbolicLink(f)), links + 1);
                } catch (IOException | RuntimeException e2) {
                    return f;
                }
            }
            return f;
        }
    }

    private static boolean isDevNull(Path f) {
        try {
            return Files.exists(f) && Files.isSameFile(f, DEV_NULL);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** What a path that exists and is not a regular file or a directory is, in words. */
    private static String kind(Path f) {
        try {
            final int type = (Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
            return switch (type) {
                case 0010000 -> "a FIFO";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "not a file";
            };
        } catch (IOException | RuntimeException e) {
            return "not a file";
        }
    }

    /**
     * A one-line error now if the nearest existing ancestor of {@code dir} (where {@code f} would be
     * made) is not a directory: {@code --json file/x} says that {@code file} is not a directory.
     */
    private static void notADirectory(CommandLine cl, String option, Path f, Path dir) {
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p != null && !Files.isDirectory(p)) {
            throw new CommandLine.ParameterException(cl, option + " " + f + ": " + p + " is not a directory");
        }
    }

    /** Writes {@code text} to {@code f}; a failure names the file (and comes from the command as one line). */
    static void write(Path f, CharSequence text, StandardOpenOption... opts) throws IOException {
        try {
            Files.writeString(f, text, opts);
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) {
            throw new FileSystemException(f.toString(), null, e.getMessage());
        }
    }

    /** What went wrong, in words: a file system exception's reason, or the kind of failure. */
    public static String reason(Exception e) {
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        final String kind = e.getClass().getSimpleName().replace("Exception", "");
        return switch (kind) {
            case "NoSuchFile" -> "no such file or directory";
            case "AccessDenied" -> "permission denied";
            case "FileAlreadyExists" -> "it exists";
            case "NotDirectory" -> "not a directory";
            case "ReadOnlyFileSystem" -> "read-only file system";
            default -> e.getMessage() != null ? e.getMessage() : kind;
        };
    }

    /**
     * The most off-heap memory this JVM may allocate: {@code -XX:MaxDirectMemorySize}, or the heap's
     * maximum when it is not set (HotSpot's default).
     */
    static long maxDirectMemory() {
        try {
            final HotSpotDiagnosticMXBean b = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            final long v = Long.parseLong(b.getVMOption("MaxDirectMemorySize").getValue());
            return v > 0 ? v : Runtime.getRuntime().maxMemory();
        } catch (RuntimeException e) {
            return Runtime.getRuntime().maxMemory();
        }
    }

    /** A one-line error now if a cell's emulated machine ({@code bytes} off-heap) cannot be allocated. */
    static void memoryFits(CommandLine cl, long bytes, String what) {
        final long max = maxDirectMemory();
        if (bytes > max) {
            throw new CommandLine.ParameterException(cl, what + " needs " + (bytes >> 20)
                    + " MiB of emulated memory; this JVM may allocate " + (max >> 20)
                    + " MiB off-heap (-XX:MaxDirectMemorySize): use a smaller --region or fewer threads");
        }
    }
}
