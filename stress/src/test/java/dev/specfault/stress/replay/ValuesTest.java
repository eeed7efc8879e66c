package dev.specfault.stress.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** strace's argument text: comments removed in one pass (a line of a million used to take minutes). */
class ValuesTest {
    @Test
    void commentsAreRemovedAndAnUnterminatedOneIsKept() {
        assertEquals("0x10", Values.uncomment(" 0x1/* a */0/**/ "));
        assertEquals("4096", Values.uncomment("4096 /* 4 KiB */"));
        assertEquals("1 /* open", Values.uncomment("1 /* open"));
        assertEquals("ab", Values.uncomment("a/*/ still inside */b"));
        assertEquals(0x7ffff7fc0000L, Values.number("0x7ffff7fc0000" + "/**/".repeat(100_000)));
    }
}
