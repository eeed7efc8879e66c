package dev.specfault.fault;

/** The fault-path designs, one row each in every comparison. */
public enum Design {
    /** Linux-style: lock-free VMA lookup under SRCU, validation under the PTL. */
    SPECULATIVE("speculative"),
    /** OpenBSD UVM-style: map lock, amap lock with upgrade and restart. */
    LOCKED("locked"),
    /** The locked design with the whole fault under one global lock. */
    KERNEL_LOCK("kernel-lock");

    private final String cliName;

    Design(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static Design byCliName(String s) {
        for (Design d : values()) {
            if (d.cliName.equals(s)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown design '" + s + "' (speculative, locked, kernel-lock)");
    }
}
