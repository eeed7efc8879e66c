package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The P0 checker of a space's tables sees both halves of what it promises: a leaf that maps a free
 * frame, and a table page that is still linked while its frame is free.
 */
class P0CheckerTest {
    static final long VA = 0x7f00_0000_0000L;

    @ParameterizedTest
    @EnumSource(Arch.class)
    void aLinkedTablePageWhoseFrameWasFreedIsReported(Arch arch) {
        final Machine m = Machine.builder(arch).cpus(1).frameLimit(256).prefetchPercent(0).build();
        final TestKernel k = new TestKernel(m, "S");
        k.map(VA, VA + 4096, Prot.READ | Prot.WRITE);
        final Cpu c = m.cpu(0);
        c.bind();
        try {
            c.switchTo(k.pmap);
            assertEquals(AccessResult.OK, c.store(VA, 1));
            assertEquals(List.of(), m.checkTables(k.pmap), "a healthy space");
            final long leaf = k.pmap.leafTable(VA);
            assertTrue(m.frames().put(leaf), "the leaf table's frame freed behind the space's back");
            final List<String> v = m.checkTables(k.pmap);
            assertEquals(1, v.size(), v.toString());
            assertTrue(v.get(0).contains("table") && v.get(0).contains(Long.toHexString(leaf)), v.get(0));
        } finally {
            c.enterLazy();
            c.unbind();
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void aLeafThatMapsAFreeFrameIsReported(Arch arch) {
        final Machine m = Machine.builder(arch).cpus(1).frameLimit(256).prefetchPercent(0).build();
        final TestKernel k = new TestKernel(m, "S");
        k.map(VA, VA + 4096, Prot.READ | Prot.WRITE);
        final Cpu c = m.cpu(0);
        c.bind();
        try {
            c.switchTo(k.pmap);
            assertEquals(AccessResult.OK, c.store(VA, 1));
            final long frame = k.pmap.format().frame(k.pmap.pte(k.pmap.leafTable(VA), Arch.index(VA, 1)));
            final int maps = m.frames().mapcount(frame);
            for (int i = 0; i < maps; i++) {
                m.frames().mapDec(frame); // so that the allocator lets it go
            }
            assertTrue(m.frames().put(frame));
            final List<String> v = m.checkTables(k.pmap);
            assertEquals(1, v.size(), v.toString());
            assertTrue(v.get(0).contains("leaf"), v.get(0));
        } finally {
            c.enterLazy();
            c.unbind();
        }
    }
}
