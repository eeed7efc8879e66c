package dev.specfault.stress.compare;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.run.CellResult;
import dev.specfault.stress.workload.Workload;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The results of one comparison run: every measured cell by group, design and round, and their
 * aggregation across rounds.
 *
 * <h2>Aggregation across rounds</h2>
 * A group's row for one design is the <b>median</b> across rounds of every numeric column (with two
 * rounds, the mean of the two), except: the correctness counts ({@link #SUMMED}) are summed, so one
 * bad round shows; the high-water marks ({@link #MAXED}) are the maximum over the rounds. A counter
 * by cause that a round did not report (the space omits zeros) counts as 0 in that round.
 *
 * <p>Not thread-safe: the command adds results from its one thread.
 */
public final class Comparison {
    /** Columns summed over the rounds. */
    public static final Set<String> SUMMED = Set.of("violations", "use_after_free", "leaked_frames", "sigsegv", "sigbus");
    /** Columns whose maximum over the rounds is reported. */
    public static final Set<String> MAXED = Set.of("max_ns", "srcu_backlog_max", "frames_in_use_max");

    /** One measured cell. */
    public record Measured(Group group, Design design, int round, CellResult result) {
    }

    private final List<Design> designs;
    private final List<Group> groups;
    private final List<Measured> cells = new ArrayList<>();

    public Comparison(List<Design> designs, List<Group> groups) {
        this.designs = List.copyOf(designs);
        this.groups = List.copyOf(groups);
    }

    public List<Design> designs() {
        return designs;
    }

    public List<Group> groups() {
        return groups;
    }

    /** The architectures of the groups, in order. */
    public List<Arch> archs() {
        final Set<Arch> s = new LinkedHashSet<>();
        groups.forEach(g -> s.add(g.arch()));
        return List.copyOf(s);
    }

    public void add(Group g, Design d, int round, CellResult r) {
        cells.add(new Measured(g, d, round, r));
    }

    public List<Measured> cells() {
        return List.copyOf(cells);
    }

    /** The rounds of {@code d} on {@code g}, in order. */
    public List<CellResult> rounds(Group g, Design d) {
        final List<CellResult> l = new ArrayList<>();
        for (Measured m : cells) {
            if (m.group().equals(g) && m.design() == d) {
                l.add(m.result());
            }
        }
        return l;
    }

    /** The group with these parameters, if the run has it. */
    public Optional<Group> find(Arch a, Workload w, int threads, int writers) {
        final Group g = new Group(a, w, threads, writers);
        return groups.contains(g) ? Optional.of(g) : Optional.empty();
    }

    /** {@code d}'s row for {@code g} aggregated across rounds, or {@code null} if it did not run. */
    public Map<String, Object> aggregate(Group g, Design d) {
        final List<CellResult> rs = rounds(g, d);
        if (rs.isEmpty()) {
            return null;
        }
        final Set<String> keys = new LinkedHashSet<>();
        rs.forEach(r -> keys.addAll(r.row().keySet()));
        final Map<String, Object> row = new LinkedHashMap<>();
        for (String k : keys) {
            final Object first = rs.get(0).row().get(k);
            if (first != null && !(first instanceof Number)) {
                row.put(k, first);
            } else {
                row.put(k, combine(k, rs));
            }
            if (k.equals("writers")) {
                row.put("rounds", rs.size());
            }
        }
        return row;
    }

    private static Number combine(String k, List<CellResult> rs) {
        final double[] v = new double[rs.size()];
        boolean integral = true;
        for (int i = 0; i < v.length; i++) {
            final Object o = rs.get(i).row().get(k);
            v[i] = o == null ? 0 : ((Number) o).doubleValue();
            integral &= !(o instanceof Double || o instanceof Float);
        }
        final double x;
        if (SUMMED.contains(k)) {
            x = Arrays.stream(v).sum();
        } else if (MAXED.contains(k)) {
            x = Arrays.stream(v).max().orElse(0);
        } else {
            x = median(v);
        }
        return integral ? (Number) Math.round(x) : (Number) x;
    }

    static double median(double[] v) {
        final double[] s = v.clone();
        Arrays.sort(s);
        final int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** A numeric column of {@code d}'s aggregated row for {@code g}. */
    public OptionalDouble value(Group g, Design d, String column) {
        final Map<String, Object> row = aggregate(g, d);
        if (row == null) {
            return OptionalDouble.empty();
        }
        final Object o = row.get(column);
        return OptionalDouble.of(o instanceof Number n ? n.doubleValue() : 0);
    }

    /** {@code column} of {@code d} divided by that of {@code base} on {@code g}. */
    public OptionalDouble ratio(Group g, Design d, Design base, String column) {
        final OptionalDouble a = value(g, d, column);
        final OptionalDouble b = value(g, base, column);
        if (a.isEmpty() || b.isEmpty() || b.getAsDouble() == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(a.getAsDouble() / b.getAsDouble());
    }

    /** Every aggregated row, group by group, designs in order. */
    public List<Map<String, Object>> aggregatedRows() {
        final List<Map<String, Object>> l = new ArrayList<>();
        for (Group g : groups) {
            for (Design d : designs) {
                final Map<String, Object> r = aggregate(g, d);
                if (r != null) {
                    l.add(r);
                }
            }
        }
        return l;
    }

    /** Every measured cell's row with its round (1-based) after {@code writers}, in the order run. */
    public List<Map<String, Object>> roundRows() {
        final List<Map<String, Object>> l = new ArrayList<>();
        for (Measured m : cells) {
            final Map<String, Object> r = new LinkedHashMap<>();
            m.result().row().forEach((k, v) -> {
                r.put(k, v);
                if (k.equals("writers")) {
                    r.put("round", m.round());
                }
            });
            l.add(r);
        }
        return l;
    }

    /** Every violation, one line each, with the cell and round it was found in. */
    public List<String> violations() {
        final List<String> l = new ArrayList<>();
        for (Measured m : cells) {
            for (String v : m.result().violations()) {
                l.add(v + " [" + m.result().spec().label() + ", round " + m.round() + "]");
            }
        }
        return l;
    }
}
