package dev.specfault.vma;

/**
 * Seeded bugs of the VMA tree. Each is a per-tree setting, off by default, turned on by tests and
 * by {@code --inject}; each breaks a property of DESIGN.md and has a test that proves it is caught.
 */
public enum VmaBug {
    /**
     * A batch is published in two stores: first a root without the replaced records, then one with
     * the new records. A lookup in between sees a hole where the range stayed mapped (P2, P8).
     */
    PUBLISH_TWO_STORES("publish-two-stores",
            "a tree batch is published in two root stores: a reader can see a hole"),
    /**
     * Replaced tree nodes and records are reclaimed without waiting for a grace period (their pools
     * run on a domain whose grace periods do not wait): a reader still inside reads poison (P3).
     */
    NODE_FREE_NO_GRACE("node-free-no-grace",
            "replaced tree nodes and VMA records are freed without an SRCU grace period"),
    /**
     * Replaced VMA records (not tree nodes) are reclaimed without waiting for a grace period: a
     * reader that found a record before it was replaced may see it poisoned or, once reused, as
     * another live area. The lookup itself stays sound (the nodes wait); the fault's incarnation
     * check is what catches the reuse (P3). Linux's per-VMA locks need the same guarantee from RCU
     * (vm_area_structs freed after a grace period, later SLAB_TYPESAFE_BY_RCU with a re-check).
     */
    RECORD_FREE_NO_GRACE("record-free-no-grace",
            "replaced VMA records are freed without an SRCU grace period (tree nodes still wait)"),
    /**
     * {@link VmaTree.Batch#markDead()} does nothing: a fault that found a replaced record validates it
     * as live after the writer zapped its range and installs a stray PTE (P1).
     */
    SKIP_MARK_DEAD("skip-mark-dead",
            "replaced VMA records are not marked dead before the writer changes page tables");

    private final String cliName;
    private final String description;

    VmaBug(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    /** The name {@code --inject} takes: lower case, words joined by '-'. */
    public String cliName() {
        return cliName;
    }

    /** One line saying what the bug does. */
    public String description() {
        return description;
    }
}
