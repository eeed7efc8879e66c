/**
 * The JMH benchmarks of every module, run by {@code ./specfault bench [regex] [JMH options]}.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Every benchmark compares against a peer in the same run (a JDK structure, the other
 *   design), so that a figure is read as a ratio.</li>
 *   <li>Forked JVMs get Agrona's {@code --add-exports} through {@code @Fork(jvmArgsAppend)}: they do
 *   not see the jar's manifest.</li>
 *   <li>Figures go in {@code docs/PERFORMANCE.md} with the command that produced them.</li>
 * </ul>
 *
 * <h2>May touch</h2>
 * Every module's public API; nothing here is used by main code.
 */
package dev.specfault.stress.bench;
