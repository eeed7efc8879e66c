package dev.specfault.srcu;

/**
 * Seeded bugs of the SRCU layer. Each is a per-domain setting, off by default, turned on by tests
 * and by {@code ./specfault stress --inject}; each breaks P3 (no use after free) in its own way, and
 * each has a test that proves it is caught.
 */
public enum SrcuBug {
    /** The grace period's reader scans report "no readers" without looking: reclaim is immediate. */
    GRACE_PERIOD_NO_WAIT("grace-period-no-wait",
            "a grace period returns without waiting for pre-existing readers"),
    /**
     * {@code readLock()} omits the full fence after its counter increment. The counter store may
     * then become visible after the loads of the read section (store buffer on x86, any reordering
     * on arm64 or in the JMM); the domain models that window explicitly by keeping the increment in
     * a per-slot store buffer until the reader's next fence, so that model checking, which assumes
     * sequential consistency, can see what the hardware would do.
     */
    READ_SIDE_NO_FENCE("read-side-no-fence",
            "srcu read lock without the StoreLoad fence: the counter store is seen after the section's loads"),
    /** {@code readUnlock(token)} counts the exit on the other index than the one the reader locked. */
    UNLOCK_WRONG_INDEX("unlock-wrong-index",
            "srcu read unlock counts the exit on the wrong index"),
    /**
     * Callbacks of a grace period run after its first scan, before the index flip and the second
     * scan: readers that entered on the current index are not waited for.
     */
    CALLBACK_EARLY("callback-early",
            "call_srcu callbacks run before the grace period's second scan"),
    /**
     * A thread's safe point ({@link SrcuDomain#poll()}, where a deferring driver leaves the callbacks
     * a thread queued) counts a grace period in progress as ended: it rounds the odd sequence number
     * of a started grace period up to that grace period's end, so the thread's callbacks that wait
     * for it run while readers it has not yet waited for may still be inside.
     */
    DEFERRED_CALLBACK_EARLY("deferred-callback-early",
            "a thread's safe point runs its deferred callbacks while their grace period is still in progress");

    private final String cliName;
    private final String description;

    SrcuBug(String cliName, String description) {
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
