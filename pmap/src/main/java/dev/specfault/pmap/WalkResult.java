package dev.specfault.pmap;

/**
 * A page walk's result in one {@code long}, so that the access path allocates nothing (a flyweight
 * encoding in the manner of Agrona's descriptors).
 *
 * <pre>
 *  translation (bit 63 = 0):
 *   63 62......48 47 46 45 44 43 42 41 40 39 .................................. 0
 *   0  0          SZ    G  D  X  U  W     frame of the 4 KiB page (huge pages: base + index)
 *
 *  fault (bit 63 = 1):
 *   63 62......48 47 ........................ 16 15..12 11..8  7 ........ 0
 *   1  0          architecture code (x86 #PF     0       level  kind
 *                 error code / arm64 ESR ISS)
 * </pre>
 * SZ: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB. Level: the arch-neutral table level where the walk stopped
 * (1 = leaf table), 0 if not applicable.
 */
public final class WalkResult {
    private WalkResult() {
    }

    public static final long FAULT = 1L << 63;
    public static final long FRAME_MASK = (1L << 40) - 1;
    public static final long W = 1L << 40;
    public static final long U = 1L << 41;
    public static final long X = 1L << 42;
    public static final long D = 1L << 43;
    public static final long G = 1L << 44;
    public static final int SIZE_SHIFT = 45;

    /** Fault kinds. */
    public static final int NOT_PRESENT = 1;
    public static final int PROTECTION = 2;
    public static final int RESERVED = 3;
    public static final int ACCESS_FLAG = 4;
    public static final int ADDRESS_SIZE = 5;
    public static final int NON_CANONICAL = 6;

    public static long translation(long frame, long flags, int sizeCode) {
        return (frame & FRAME_MASK) | flags | ((long) sizeCode << SIZE_SHIFT);
    }

    public static long fault(int kind, int level, long archCode) {
        return FAULT | ((archCode & 0xffff_ffffL) << 16) | ((long) level << 8) | kind;
    }

    public static boolean isFault(long r) {
        return r < 0;
    }

    public static long frame(long r) {
        return r & FRAME_MASK;
    }

    public static boolean writable(long r) {
        return (r & W) != 0;
    }

    public static boolean user(long r) {
        return (r & U) != 0;
    }

    public static boolean executable(long r) {
        return (r & X) != 0;
    }

    public static boolean dirty(long r) {
        return (r & D) != 0;
    }

    public static boolean global(long r) {
        return (r & G) != 0;
    }

    public static int sizeCode(long r) {
        return (int) (r >>> SIZE_SHIFT) & 3;
    }

    public static int kind(long r) {
        return (int) (r & 0xff);
    }

    public static int level(long r) {
        return (int) (r >>> 8) & 0xf;
    }

    public static long archCode(long r) {
        return (r >>> 16) & 0xffff_ffffL;
    }

    public static String kindName(int kind) {
        switch (kind) {
            case NOT_PRESENT: return "not-present";
            case PROTECTION: return "protection";
            case RESERVED: return "reserved-bit";
            case ACCESS_FLAG: return "access-flag";
            case ADDRESS_SIZE: return "address-size";
            case NON_CANONICAL: return "non-canonical";
            default: return "kind" + kind;
        }
    }

    public static String toString(long r) {
        if (isFault(r)) {
            return "fault[" + kindName(kind(r)) + ", level " + level(r) + ", code 0x" + Long.toHexString(archCode(r)) + "]";
        }
        return "translation[frame 0x" + Long.toHexString(frame(r)) + (writable(r) ? " W" : "") + (user(r) ? " U" : "")
                + (executable(r) ? " X" : "") + (dirty(r) ? " D" : "") + (global(r) ? " G" : "")
                + " size " + sizeCode(r) + "]";
    }
}
