package dev.specfault.fault;

import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuBug;
import dev.specfault.vma.VmaBug;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * How to build an address space: design, machine, limits, seeded bugs, test hooks, and the SRCU
 * grace-period driver (shared executor in production; inline for model checking; manual for
 * deterministic scenarios).
 */
public final class SpaceOptions {
    private final Design design;
    private final Machine machine;
    private String name = "space";
    private SpaceConfig config;
    private final Set<FaultBug> bugs = EnumSet.noneOf(FaultBug.class);
    private final Set<VmaBug> vmaBugs = EnumSet.noneOf(VmaBug.class);
    private final Set<SrcuBug> srcuBugs = EnumSet.noneOf(SrcuBug.class);
    private FaultHooks hooks = FaultHooks.NONE;
    private GracePeriodDriver driver;
    private int vmaQuarantine = 64;

    public SpaceOptions(Design design, Machine machine) {
        this.design = Objects.requireNonNull(design);
        this.machine = Objects.requireNonNull(machine);
        this.config = SpaceConfig.defaults(machine.arch());
    }

    public SpaceOptions name(String n) {
        this.name = n;
        return this;
    }

    public SpaceOptions config(SpaceConfig c) {
        this.config = c;
        return this;
    }

    public SpaceOptions bugs(Set<FaultBug> b) {
        bugs.addAll(b);
        return this;
    }

    public SpaceOptions vmaBugs(Set<VmaBug> b) {
        vmaBugs.addAll(b);
        return this;
    }

    public SpaceOptions srcuBugs(Set<SrcuBug> b) {
        srcuBugs.addAll(b);
        return this;
    }

    public SpaceOptions hooks(FaultHooks h) {
        this.hooks = h;
        return this;
    }

    public SpaceOptions driver(GracePeriodDriver d) {
        this.driver = d;
        return this;
    }

    /**
     * How many freed VMA records and tree nodes wait, poisoned, before reuse (0: reused at once —
     * tests that need a freed record to come back as another one).
     */
    public SpaceOptions vmaQuarantine(int n) {
        this.vmaQuarantine = n;
        return this;
    }

    public int vmaQuarantine() {
        return vmaQuarantine;
    }

    public Design design() {
        return design;
    }

    public Machine machine() {
        return machine;
    }

    public String name() {
        return name;
    }

    public SpaceConfig config() {
        return config;
    }

    public Set<FaultBug> bugs() {
        return bugs;
    }

    public Set<VmaBug> vmaBugs() {
        return vmaBugs;
    }

    public Set<SrcuBug> srcuBugs() {
        return srcuBugs;
    }

    public FaultHooks hooks() {
        return hooks;
    }

    /** The driver, or null for the shared executor. */
    public GracePeriodDriver driver() {
        return driver;
    }

    /** A copy for a child space (fork): same design, machine, bugs, hooks and driver. */
    public SpaceOptions forChild(String childName) {
        final SpaceOptions o = new SpaceOptions(design, machine).name(childName)
                .config(config.withInitialStack(false)).bugs(bugs).vmaBugs(vmaBugs).srcuBugs(srcuBugs).hooks(hooks);
        o.driver = driver;
        o.vmaQuarantine = vmaQuarantine;
        return o;
    }
}
