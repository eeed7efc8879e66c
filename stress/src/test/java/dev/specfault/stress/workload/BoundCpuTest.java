package dev.specfault.stress.workload;

import dev.specfault.pmap.Cpu;
import org.junit.jupiter.api.AfterEach;

/** Checker tests that run on one emulated CPU bound to the test's thread, unbound after each test. */
abstract class BoundCpuTest {
    Cpu cpu;

    @AfterEach
    void unbind() {
        if (cpu != null && cpu.isBoundToCurrentThread()) {
            cpu.unbind();
        }
    }
}
