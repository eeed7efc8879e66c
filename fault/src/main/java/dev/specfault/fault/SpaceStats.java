package dev.specfault.fault;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one space, by cause: faults by kind, speculative retries and aborts, fallbacks to the
 * locked slow path, lock waits. {@link LongAdder}s: striped per thread, so counting is never the
 * contended word of a fault.
 */
public final class SpaceStats {
    /** What a fault did. */
    public enum Fault {
        /** A new zeroed page for private anonymous memory. */
        ZERO_FILL,
        /** Copy-on-write: a copy of a shared or file page. */
        COW_COPY,
        /** Copy-on-write resolved by reusing the only reference in place. */
        COW_REUSE,
        /** A page-cache page mapped (shared file or shared anonymous memory, or a private read). */
        FILE,
        /** A write to a shared mapping's read-only entry (dirty tracking). */
        WP_SHARED,
        /** arm64 without hardware AF/DBM: the access flag or the dirty state set by software. */
        ACCESS_FLAG,
        /** A PROT_NONE entry made accessible again after mprotect raised the rights. */
        PROT_NONE,
        /** A GROWSDOWN stack area grown. */
        GROWTH,
        /** Nothing to do: another fault had installed the entry, or a stale TLB entry. */
        SPURIOUS,
        /** Locked design: an existing anon's page mapped without promotion (UVM's flt_anon). */
        ANON
    }

    /** Why a speculative attempt was thrown away and repeated (or a locked fault restarted). */
    public enum Retry {
        /** The record was dead at validation (a writer replaced it). */
        DEAD,
        /** The record's write sequence changed (fork, madvise). */
        SEQUENCE,
        /** The record's incarnation changed (it was freed and reused: a use-after-free). */
        INCARNATION,
        /**
         * The record found no longer covered the address once its incarnation and sequence were
         * read (it changed after the lookup).
         */
        RANGE,
        /** The leaf table was unlinked from its parent. */
        TABLE_UNLINKED,
        /** The entry changed since the walk. */
        PTE_CHANGED,
        /** A frame read from an entry could not be pinned (get-unless-zero failed). */
        PIN_FAILED,
        /** Locked design: the map version changed while the map lock was dropped. */
        MAP_VERSION,
        /** Locked design: an amap lock upgrade failed (ERESTART). */
        UPGRADE_FAILED,
        /** Locked design: an anon's page was not resident (ENOLCK). */
        NOT_RESIDENT,
        /** Locked design: the fault created or copied an amap under the exclusive map lock (flt_amcopy). */
        AMAP_COPY,
        /**
         * Locked design: the area's first anonymous page needed its anonymous identity (Linux's
         * anon_vma, which the layout's merging follows), set up under the exclusive map lock.
         */
        ANON_VMA,
        /**
         * No free frame while frames waited for a grace period: the fault waited for them (direct
         * reclaim) and the access was retried.
         */
        RECLAIM
    }

    /** Why a speculative fault gave up and took the mmap lock. */
    public enum Fallback {
        /** The record was dead or odd twice in a row: a writer is at work; wait for it. */
        WRITER_ACTIVE,
        /** A table level was missing (speculative faults never allocate tables). */
        MISSING_TABLE,
        /** The address is below a GROWSDOWN area: growth needs the mmap lock. */
        GROWTH,
        /** Too many retries. */
        RETRIES_EXHAUSTED,
        /** No frame: the slow path reports OOM. */
        NO_FRAME,
        /**
         * The area's first anonymous page needs its anonymous identity, set up under the mmap lock,
         * and a writer held it (vmf_anon_prepare's failed trylock: VM_FAULT_RETRY).
         */
        ANON_VMA
    }

    private final EnumMap<Fault, LongAdder> faults = adders(Fault.class);
    private final EnumMap<Retry, LongAdder> retries = adders(Retry.class);
    private final EnumMap<Fallback, LongAdder> fallbacks = adders(Fallback.class);
    private final LongAdder speculativeAttempts = new LongAdder();
    private final LongAdder speculativeSuccesses = new LongAdder();
    private final LongAdder ptlWaits = new LongAdder();
    private final LongAdder lockWaits = new LongAdder();
    private final LongAdder upgrades = new LongAdder();
    private final LongAdder upgradeFailures = new LongAdder();
    private final LongAdder lazyFreed = new LongAdder();
    private final LongAdder lazyKept = new LongAdder();

    private static <E extends Enum<E>> EnumMap<E, LongAdder> adders(Class<E> type) {
        final EnumMap<E, LongAdder> m = new EnumMap<>(type);
        for (E e : type.getEnumConstants()) {
            m.put(e, new LongAdder());
        }
        return m;
    }

    public void fault(Fault kind) {
        faults.get(kind).increment();
        if (FaultEvents.recording()) {
            FaultEvents.fault(kind);
        }
    }

    public void retry(Retry cause) {
        retries.get(cause).increment();
        if (FaultEvents.recording()) {
            FaultEvents.retry(cause);
        }
    }

    public void fallback(Fallback cause) {
        fallbacks.get(cause).increment();
        if (FaultEvents.recording()) {
            FaultEvents.fallback(cause);
        }
    }

    public void speculativeAttempt() {
        speculativeAttempts.increment();
    }

    public void speculativeSuccess() {
        speculativeSuccesses.increment();
    }

    /** A PTL acquisition that had to wait. */
    public void ptlWait() {
        ptlWaits.increment();
    }

    /** An mmap/map/amap lock acquisition that had to wait. */
    public void lockWait() {
        lockWaits.increment();
    }

    /** Locked design: an amap lock upgrade that worked ({@code flt_up}). */
    public void upgrade() {
        upgrades.increment();
    }

    /** Locked design: an amap lock upgrade that failed ({@code flt_noup}). */
    public void upgradeFailure() {
        upgradeFailures.increment();
    }

    /** Reclaim discarded a lazy-free page that was clean (Linux pglazyfreed). */
    public void lazyFreed() {
        lazyFreed.increment();
    }

    /** Reclaim found a lazy-free page written since MADV_FREE and kept it. */
    public void lazyKept() {
        lazyKept.increment();
    }

    public long lazyFreedCount() {
        return lazyFreed.sum();
    }

    public long lazyKeptCount() {
        return lazyKept.sum();
    }

    public long faults(Fault kind) {
        return faults.get(kind).sum();
    }

    public long retries(Retry cause) {
        return retries.get(cause).sum();
    }

    public long fallbacks(Fallback cause) {
        return fallbacks.get(cause).sum();
    }

    public long totalFaults() {
        return faults.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long totalRetries() {
        return retries.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long totalFallbacks() {
        return fallbacks.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long speculativeAttempts() {
        return speculativeAttempts.sum();
    }

    public long speculativeSuccesses() {
        return speculativeSuccesses.sum();
    }

    public long ptlWaits() {
        return ptlWaits.sum();
    }

    public long lockWaits() {
        return lockWaits.sum();
    }

    public long upgrades() {
        return upgrades.sum();
    }

    public long upgradeFailures() {
        return upgradeFailures.sum();
    }

    /** Every non-zero counter by name (faults.zero_fill, retries.dead, ...), for reports. */
    public Map<String, Long> snapshot() {
        final Map<String, Long> m = new java.util.LinkedHashMap<>();
        faults.forEach((k, v) -> put(m, "faults." + k.name().toLowerCase(), v.sum()));
        retries.forEach((k, v) -> put(m, "retries." + k.name().toLowerCase(), v.sum()));
        fallbacks.forEach((k, v) -> put(m, "fallbacks." + k.name().toLowerCase(), v.sum()));
        put(m, "speculative.attempts", speculativeAttempts());
        put(m, "speculative.successes", speculativeSuccesses());
        put(m, "waits.ptl", ptlWaits());
        put(m, "waits.lock", lockWaits());
        put(m, "upgrades.ok", upgrades());
        put(m, "upgrades.failed", upgradeFailures());
        put(m, "lazyfree.freed", lazyFreedCount());
        put(m, "lazyfree.kept", lazyKeptCount());
        return m;
    }

    private static void put(Map<String, Long> m, String k, long v) {
        if (v != 0) {
            m.put(k, v);
        }
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
