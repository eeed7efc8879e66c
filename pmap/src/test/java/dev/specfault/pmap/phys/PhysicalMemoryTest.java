package dev.specfault.pmap.phys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link PhysicalMemory#fill}: every word of the frame, and nothing of its neighbours. */
class PhysicalMemoryTest {

    @ParameterizedTest
    @ValueSource(longs = {0xaaaa_aaaa_aaaa_aaaaL, 0xf4ee_f4ee_f4ee_f4eeL, 0x0102_0304_0506_0708L, -1L})
    void fillWritesEveryWordOfOneFrame(long pattern) {
        final PhysicalMemory m = new PhysicalMemory(4);
        for (int w = 0; w < PhysicalMemory.WORDS_PER_FRAME; w++) {
            m.putRelease(0, w, 1);
            m.putRelease(2, w, 2);
        }
        m.fill(1, pattern);
        for (int w = 0; w < PhysicalMemory.WORDS_PER_FRAME; w++) {
            assertEquals(pattern, m.getAcquire(1, w), "word " + w);
            assertEquals(1, m.getAcquire(0, w));
            assertEquals(2, m.getAcquire(2, w));
        }
    }
}
