package dev.specfault.srcu;

import dev.specfault.srcu.pool.PoisoningPool;
import dev.specfault.srcu.pool.Pooled;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;

/**
 * The object Lincheck checks for the SRCU domain: a published box that writers replace and retire
 * (through call_srcu, or with synchronize) and readers read inside read sections. A reader that
 * reads a reclaimed box reads its poison (or sees its incarnation change) and returns -1, a value
 * no sequential execution returns, so a use-after-free is a linearizability failure.
 *
 * <p>Grace periods and callbacks run inline on the writer's thread (no background threads under
 * model checking): at once, or, deferring as the production driver does, at the writer's next
 * {@code poll()}. Subclasses choose the driver and the seeded bugs.
 */
@Param(name = "value", gen = LongGen.class, conf = "1:3")
public abstract class ReclaimObject {
    static final long POISON = 0xdead_dead_dead_deadL;

    /** The pooled object readers find. */
    static final class Box extends Pooled {
        long value;

        @Override
        protected void poison() {
            value = POISON;
        }
    }

    private final SrcuDomain domain;
    private final PoisoningPool<Box> pool;
    private final AtomicReference<Box> current = new AtomicReference<>();
    /** Whether callbacks wait for their thread's safe point (the production placement). */
    private final boolean deferring;

    protected ReclaimObject(Set<SrcuBug> bugs) {
        this(bugs, false);
    }

    /**
     * @param deferring under the {@linkplain GracePeriodDriver#inlineDeferring() inline-deferring}
     *                  driver, whose callbacks run at their thread's {@code poll()}: the writer
     *                  polls at the start of each operation, as both designs' writers do
     */
    protected ReclaimObject(Set<SrcuBug> bugs, boolean deferring) {
        this.deferring = deferring;
        domain = SrcuDomain.builder("lincheck")
                .driver(deferring ? GracePeriodDriver.inlineDeferring() : GracePeriodDriver.inline())
                .bugs(bugs).build();
        pool = PoisoningPool.builder("box", domain, Box::new).quarantine(1).build();
        final Box b = pool.allocate();
        b.value = 0;
        current.set(b);
    }

    private long readInside() {
        final Box b = current.get();
        final long inc = b.incarnation();
        final long v = b.value;
        return pool.validate(b, inc, "value", v) && v != POISON ? v : -1;
    }

    @Operation
    public long read() {
        final int t = domain.readLock();
        try {
            return readInside();
        } finally {
            domain.readUnlock(t);
        }
    }

    @Operation
    public long readNested() {
        final int outer = domain.readLock();
        try {
            final int inner = domain.readLock();
            try {
                return readInside();
            } finally {
                domain.readUnlock(inner);
            }
        } finally {
            domain.readUnlock(outer);
        }
    }

    /** Replace and retire through call_srcu: the pool poisons the old box after a grace period. */
    @Operation(nonParallelGroup = "writer")
    public void publish(@Param(name = "value") long v) {
        if (deferring) {
            domain.poll(); // the writer's safe point: its callbacks whose grace period has ended
        }
        final Box n = pool.allocate();
        n.value = v;
        final Box old = current.getAndSet(n);
        pool.retire(old);
    }

    /** Replace, wait for a grace period, then poison the old box by hand. */
    @Operation(nonParallelGroup = "writer")
    public void publishSync(@Param(name = "value") long v) {
        final Box n = pool.allocate();
        n.value = v;
        final Box old = current.getAndSet(n);
        domain.synchronize();
        old.value = POISON;
    }

    /**
     * A grace period driven by a reader-side thread, concurrently with the writer's: two drivers
     * meet on the machine's owner word and its sequence.
     */
    @Operation
    public void sync() {
        domain.synchronize();
    }

    /** The sequential specification: a register. */
    public static final class Spec {
        private long value;

        public long read() {
            return value;
        }

        public long readNested() {
            return value;
        }

        public void publish(long v) {
            value = v;
        }

        public void publishSync(long v) {
            value = v;
        }

        public void sync() {
        }
    }
}
