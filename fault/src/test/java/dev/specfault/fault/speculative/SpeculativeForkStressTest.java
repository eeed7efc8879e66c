package dev.specfault.fault.speculative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The long profile's multi-threaded proof for fork-without-write-seq (P4): one thread keeps
 * storing to a private page while another forks, reads the page in the child twice and exits it.
 * The child's memory is the parent's at one instant inside the fork, so both reads must agree.
 */
@Tag("long")
class SpeculativeForkStressTest {
    static final long P = 0x40000000L;

    private static long run(Set<FaultBug> bugs, long millis) throws InterruptedException {
        final Machine m = Machine.builder(Arch.X86_64).frameLimit(4096).cpus(2).build();
        final AddressSpace s = Spaces.create(new SpaceOptions(Design.SPECULATIVE, m).name("fork")
                .config(SpaceConfig.defaults(Arch.X86_64).withInitialStack(false)).bugs(bugs));
        s.mmap(P, Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED);
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong violations = new AtomicLong();
        final Thread writer = new Thread(() -> {
            final Cpu c = m.cpu(0);
            c.bind();
            for (long v = 1; !stop.get(); v++) {
                s.store(c, P, v);
            }
            c.unbind();
        });
        final Thread forker = new Thread(() -> {
            final Cpu c = m.cpu(1);
            c.bind();
            final long end = System.currentTimeMillis() + millis;
            while (System.currentTimeMillis() < end && violations.get() == 0) {
                final AddressSpace child = s.fork();
                if (child.load(c, P) == AccessResult.OK) {
                    final long first = c.value();
                    for (int i = 0; i < 200; i++) {
                        Thread.onSpinWait();
                    }
                    if (child.load(c, P) == AccessResult.OK && c.value() != first) {
                        violations.incrementAndGet();
                    }
                }
                child.exit();
                s.load(c, P); // switch back to the parent's space
            }
            c.unbind();
        });
        writer.start();
        forker.start();
        forker.join();
        stop.set(true);
        writer.join();
        return violations.get();
    }

    @Test
    void correctSpaceKeepsTheChildsSnapshot() throws InterruptedException {
        assertEquals(0, run(Set.of(), 10_000));
    }

    @Test
    void forkWithoutWriteSeqIsCaught() throws InterruptedException {
        assertTrue(run(EnumSet.of(FaultBug.FORK_WITHOUT_WRITE_SEQ), 120_000) > 0,
                "the child saw the parent's write after the fork");
    }
}
