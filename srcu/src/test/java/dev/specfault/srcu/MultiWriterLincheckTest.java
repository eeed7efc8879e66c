package dev.specfault.srcu;

import dev.specfault.srcu.pool.PoisoningPool;
import dev.specfault.srcu.testing.LincheckBudget;
import java.util.concurrent.atomic.AtomicReference;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Writers on both threads (the existing harness has one writer group), so that
 * call()s of two slots race grace-period ends, polls and barriers. A use after free is a reader
 * result -1; a barrier that leaves a retired box unreclaimed fails validation. Long profile
 * only: 10 × 5,000 invocations each with 4 actors a thread (2 × 5,000 took 70–77 s on 2026-12-01,
 * so about 12 min for both).
 */
@Tag("long")
class MultiWriterLincheckTest {

    @Param(name = "value", gen = LongGen.class, conf = "1:3")
    public abstract static class Multi {
        final SrcuDomain domain;
        final PoisoningPool<ReclaimObject.Box> pool;
        final AtomicReference<ReclaimObject.Box> current = new AtomicReference<>();
        final boolean deferring;

        Multi(boolean deferring) {
            this.deferring = deferring;
            domain = SrcuDomain.builder("multi")
                    .driver(deferring ? GracePeriodDriver.inlineDeferring() : GracePeriodDriver.inline()).build();
            pool = PoisoningPool.builder("box", domain, ReclaimObject.Box::new).quarantine(0).build();
            final ReclaimObject.Box b = pool.allocate();
            b.value = 0;
            current.set(b);
        }

        @Operation
        public long read() {
            final int t = domain.readLock();
            try {
                final ReclaimObject.Box b = current.get();
                final long inc = b.incarnation();
                final long v = b.value;
                return pool.validate(b, inc, "value", v) && v != ReclaimObject.POISON ? v : -1;
            } finally {
                domain.readUnlock(t);
            }
        }

        @Operation
        public void publish(@Param(name = "value") long v) {
            if (deferring) {
                domain.poll();
            }
            final ReclaimObject.Box n = pool.allocate();
            n.value = v;
            pool.retire(current.getAndSet(n));
        }

        @Operation
        public void barrier() {
            domain.barrier();
        }

        @Validate
        public void nothingLeftAfterBarrier() {
            domain.barrier();
            if (pool.stats().retired() != 0) {
                throw new AssertionError("barrier() returned with retired boxes not reclaimed: " + pool.stats()
                        + " " + domain.stats());
            }
        }
    }

    public static final class Immediate extends Multi {
        public Immediate() {
            super(false);
        }
    }

    public static final class Deferring extends Multi {
        public Deferring() {
            super(true);
        }
    }

    public static final class Spec {
        private long value;

        public long read() {
            return value;
        }

        public void publish(long v) {
            value = v;
        }

        public void barrier() {
        }
    }

    @Test
    void immediate() {
        LincheckBudget.modelChecking(1, SrcuLincheckTest.LONG_MC_ITERATIONS).sequentialSpecification(Spec.class)
                .check(Immediate.class);
    }

    @Test
    void deferring() {
        LincheckBudget.modelChecking(1, SrcuLincheckTest.LONG_MC_ITERATIONS).sequentialSpecification(Spec.class)
                .check(Deferring.class);
    }
}
