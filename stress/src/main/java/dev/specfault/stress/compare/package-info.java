/**
 * The comparison of the designs ({@code ./specfault compare}): the matrix of cells, run A B C A B C
 * per group so that machine drift cancels; the aggregation across rounds; the ratios against the
 * locked design and the performance targets; the charts (XChart, PNG and SVG) and the
 * self-contained HTML report.
 *
 * <h2>Invariants</h2>
 * Every design of a group runs on the same seed in the same round (one event stream per round, fed
 * to every design). Aggregated rows are what the printed table, the charts and the report show; the
 * per-round rows are written beside them. Nothing here measures: cells come from
 * {@link dev.specfault.stress.run.Cell}.
 *
 * <h2>May touch</h2>
 * {@code stress.run}, {@code stress.workload}, the designs' and machine's enums, XChart and AWT
 * (headless only).
 */
package dev.specfault.stress.compare;
