package dev.specfault.stress.compare;

import dev.specfault.stress.run.Cell;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The long cell of {@code compare --soak}: it records the machine's frames in use and the SRCU
 * backlog every 20 ms ({@link Cell.Progress#sample}) and checks the target that both stay
 * within 10% of their level after 10 s.
 *
 * <p>Both quantities swing within a round of the workload (a faulting thread maps and frees its
 * region every few milliseconds; SRCU callbacks are queued and run in batches, a grace period
 * starting a jiffy after the first), so levels are <b>means over five-second windows</b>: the level
 * after 10 s is the mean of the window [5 s, 10 s); every later whole window's mean must lie within
 * ±10% of it. (One-second means of the SRCU backlog, a hundred or two callbacks, swing by more than
 * that from one second to the next on a steady run: a level is what a leak would move, not that.)
 */
public final class Soak implements Cell.Progress {
    private static final int WINDOW_SECONDS = 5;
    private static final long WINDOW = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);
    private static final int REFERENCE_WINDOW = 1; // [5 s, 10 s)

    private final String label;
    private final long seconds;
    private final Cell.Progress delegate;
    private final List<long[]> samples = new ArrayList<>();

    /**
     * @param seconds  how long the cell is meant to run (a violation stops it early)
     * @param delegate the terminal's progress line, or {@code null}
     */
    public Soak(String label, long seconds, Cell.Progress delegate) {
        this.label = label;
        this.seconds = seconds;
        this.delegate = delegate;
    }

    public String label() {
        return label;
    }

    @Override
    public void update(long elapsedNanos, long pages) {
        if (delegate != null) {
            delegate.update(elapsedNanos, pages);
        }
    }

    @Override
    public void sample(long elapsedNanos, long framesInUse, long srcuBacklog) {
        samples.add(new long[] {elapsedNanos, framesInUse, srcuBacklog});
    }

    /** Means of column {@code col} (1 frames, 2 backlog) over whole five-second windows, in order. */
    public double[] windowMeans(int col) {
        final int n = samples.isEmpty() ? 0 : (int) (samples.get(samples.size() - 1)[0] / WINDOW);
        final double[] sum = new double[n];
        final int[] cnt = new int[n];
        for (long[] s : samples) {
            final int w = (int) (s[0] / WINDOW);
            if (w < n) {
                sum[w] += s[col];
                cnt[w]++;
            }
        }
        final double[] mean = new double[n];
        for (int i = 0; i < n; i++) {
            mean[i] = cnt[i] == 0 ? Double.NaN : sum[i] / cnt[i];
        }
        return mean;
    }

    Target target(String goal) {
        final double[] frames = windowMeans(1);
        final double[] backlog = windowMeans(2);
        if (frames.length <= REFERENCE_WINDOW + 1) {
            return Target.notMeasured(goal, label + " ran " + frames.length * WINDOW_SECONDS
                    + " whole seconds: needs at least 15");
        }
        final StringBuilder b = new StringBuilder(label).append(": ");
        final boolean okFrames = within(frames, "frames in use", b);
        b.append("; ");
        final boolean okBacklog = within(backlog, "SRCU backlog", b);
        // The last window may be cut short by the deadline; more than that missing means the cell stopped.
        final boolean whole = (long) frames.length * WINDOW_SECONDS >= seconds - WINDOW_SECONDS;
        if (!whole) {
            b.append("; stopped after ").append(frames.length * WINDOW_SECONDS).append(" s of ").append(seconds)
                    .append(" (a violation ends the cell)");
        }
        return Target.of(goal, okFrames && okBacklog && whole, b.toString());
    }

    /** Whether every window after the reference lies within ±10% of it; describes the spread into {@code b}. */
    private static boolean within(double[] means, String what, StringBuilder b) {
        final double ref = means[REFERENCE_WINDOW];
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = REFERENCE_WINDOW + 1; i < means.length; i++) {
            if (!Double.isNaN(means[i])) {
                lo = Math.min(lo, means[i]);
                hi = Math.max(hi, means[i]);
            }
        }
        final boolean ok = hi <= ref * 1.10 && lo >= ref * 0.90;
        b.append(String.format(Locale.ROOT, "%s %.1f at 10 s (mean of 5-10 s), 5-s means after it %.1f..%.1f (%+.1f%%..%+.1f%%)",
                what, ref, lo, hi, pct(lo, ref), pct(hi, ref)));
        return ok;
    }

    private static double pct(double v, double ref) {
        return ref == 0 ? (v == 0 ? 0 : Double.POSITIVE_INFINITY) : 100 * (v - ref) / ref;
    }
}
