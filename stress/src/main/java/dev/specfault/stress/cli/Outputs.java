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

    /**
     * A one-line error now if {@code f} (when set) cannot be written: a directory, a missing parent,
     * or a file that cannot be opened for writing. Only a regular file or a missing path is probed by
     * opening it (a file the probe creates is removed again); a FIFO or a device (e.g.
     * {@code /dev/null}) is only checked for write permission, so that the probe does not block on a
     * FIFO; a symbolic link is followed and what it names is checked, the link left alone.
     */
    static void file(CommandLine cl, String option, Path f) {
        file(cl, option, f, 0);
    }

    private static void file(CommandLine cl, String option, Path f, int links) {
        if (f == null) {
            return;
        }
        if (Files.isSymbolicLink(f)) { // probe what the link names, never the link itself
            if (links >= 8) {
                throw new CommandLine.ParameterException(cl, option + " " + f + ": too many levels of symbolic links");
            }
            final Path target;
            try {
                target = f.toAbsolutePath().resolveSibling(Files.readSymbolicLink(f));
            } catch (IOException e) {
                throw new CommandLine.ParameterException(cl, option + " " + f + " cannot be read: " + reason(e));
            }
            file(cl, option, target, links + 1);
            return;
        }
        final Path dir = f.toAbsolutePath().getParent();
        if (Files.isDirectory(f)) {
            throw new CommandLine.ParameterException(cl, option + " " + f + " is a directory");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(cl, option + " " + f + ": no such directory " + dir);
        }
        final boolean existed = Files.exists(f, LinkOption.NOFOLLOW_LINKS);
        if (existed && !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
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

    /** A one-line error now if {@code d} (when set) is not, and cannot be made, a writable directory. */
    static void directory(CommandLine cl, String option, Path d) {
        if (d == null) {
            return;
        }
        if (Files.exists(d) && !Files.isDirectory(d)) {
            throw new CommandLine.ParameterException(cl, option + " " + d + " exists and is not a directory");
        }
        try {
            Files.createDirectories(d);
            Files.delete(Files.createTempFile(d, ".specfault-", ".probe"));
        } catch (IOException | RuntimeException e) {
            throw new CommandLine.ParameterException(cl, option + " " + d + " cannot be written: " + reason(e));
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
