package dev.specfault.stress.compare;

import dev.specfault.stress.run.Cell;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The long cell of {@code compare --soak}: it records the machine's frames in use and the SRCU
 * backlog every millisecond ({@link Cell.Progress#sample}) and checks the target that both
 * stay within 10% of their level after 10 s.
 *
 * <p>Both quantities swing within a round of the workload (a faulting thread maps and frees its
 * region every few milliseconds; SRCU callbacks are queued and run in batches, a grace period
 * starting a jiffy after the first), so a level is taken over <b>five-second windows</b> of samples
 * taken every millisecond: the level after 10 s is the window [5 s, 10 s); every later whole window's
 * level must lie within ±10% of it.
 *
 * <p>The level is the window's <b>median</b>; the mean is reported beside it. The SRCU backlog sits
 * at a hundred or two callbacks (those queued since the last grace period) with spikes of thousands
 * for the few milliseconds a grace period waits for a reader the scheduler preempted inside its read
 * section. A handful of such spikes more or less moves a window's mean by 20–40% on a steady run on
 * 2 cores; the median moves only if the backlog itself rises, which is what a leak (callbacks that
 * never run, frames never freed) or grace periods that get slower and slower do. How high the spikes
 * go is in {@code srcu_backlog_max}.
 */
public final class Soak implements Cell.Progress {
    private static final int WINDOW_SECONDS = 5;
    private static final long WINDOW = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);
    private static final int REFERENCE_WINDOW = 1; // [5 s, 10 s)
    private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

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

    /**
     * Every millisecond. Both quantities move far faster than 20 ms samples (a round of the
     * faulting thread frees its whole region every ~2 ms; a late grace period is a spike of a few
     * ms): at 20 ms a window drew 250 points of them, and frames in use swung by up to 15% from one
     * window to the next from sampling alone; 5,000 points bring that noise down by √20.
     */
    @Override
    public long sampleNanos() {
        return SAMPLE_NANOS;
    }

    @Override
    public void sample(long elapsedNanos, long framesInUse, long srcuBacklog, long srcuQueued) {
        samples.add(new long[] {elapsedNanos, framesInUse, srcuBacklog, srcuQueued});
    }

    /**
     * Per whole window: SRCU callbacks queued per second (the writers' retirement rate), from the
     * window's first and last samples.
     */
    public double[] windowCallbackRates() {
        final int n = wholeWindows();
        final long[][] firstLast = new long[n][];
        for (long[] s : samples) {
            final int w = (int) (s[0] / WINDOW);
            if (w < n) {
                if (firstLast[w] == null) {
                    firstLast[w] = new long[] {s[0], s[3], s[0], s[3]};
                } else {
                    firstLast[w][2] = s[0];
                    firstLast[w][3] = s[3];
                }
            }
        }
        final double[] rate = new double[n];
        for (int i = 0; i < n; i++) {
            final long[] f = firstLast[i];
            rate[i] = f == null || f[2] == f[0] ? Double.NaN : (f[3] - f[1]) * 1e9 / (f[2] - f[0]);
        }
        return rate;
    }

    /**
     * Per whole window: how long a callback waits to run, by Little's law (the mean backlog over the
     * rate callbacks arrive), in ms. The backlog is this wait times the writers' pace; when the
     * backlog moves and this does not, the pace moved, not the reclamation.
     */
    public double[] windowWaitsMillis() {
        final double[] mean = windowMeans(2);
        final double[] rate = windowCallbackRates();
        final double[] wait = new double[mean.length];
        for (int i = 0; i < wait.length; i++) {
            wait[i] = rate[i] > 0 ? 1e3 * mean[i] / rate[i] : Double.NaN;
        }
        return wait;
    }

    /** Means of column {@code col} (1 frames, 2 backlog) over whole five-second windows, in order. */
    public double[] windowMeans(int col) {
        final int n = wholeWindows();
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

    /**
     * Medians of column {@code col} (1 frames, 2 backlog) over whole five-second windows, in order
     * (the mean of the two middle samples when a window holds an even number).
     */
    public double[] windowMedians(int col) {
        final int n = wholeWindows();
        final List<List<Long>> per = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            per.add(new ArrayList<>());
        }
        for (long[] s : samples) {
            final int w = (int) (s[0] / WINDOW);
            if (w < n) {
                per.get(w).add(s[col]);
            }
        }
        final double[] median = new double[n];
        for (int i = 0; i < n; i++) {
            final long[] v = per.get(i).stream().mapToLong(Long::longValue).sorted().toArray();
            median[i] = v.length == 0 ? Double.NaN
                    : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
        }
        return median;
    }

    /** Windows wholly covered by samples: the one holding the last sample may be cut short. */
    private int wholeWindows() {
        return samples.isEmpty() ? 0 : (int) (samples.get(samples.size() - 1)[0] / WINDOW);
    }

    /** The soak's windows as CSV: start and end (s), then median and mean of frames in use and backlog. */
    public String csv() {
        final double[] fMed = windowMedians(1);
        final double[] fMean = windowMeans(1);
        final double[] bMed = windowMedians(2);
        final double[] bMean = windowMeans(2);
        final double[] rate = windowCallbackRates();
        final double[] wait = windowWaitsMillis();
        final StringBuilder sb = new StringBuilder("window_start_s,window_end_s,frames_in_use_median,frames_in_use_mean,"
                + "srcu_backlog_median,srcu_backlog_mean,srcu_callbacks_per_s,srcu_wait_ms\n");
        for (int i = 0; i < fMed.length; i++) {
            sb.append(String.format(Locale.ROOT, "%d,%d,%.1f,%.1f,%.1f,%.1f,%.0f,%.3f%n", i * WINDOW_SECONDS,
                    (i + 1) * WINDOW_SECONDS, fMed[i], fMean[i], bMed[i], bMean[i], rate[i], wait[i]));
        }
        return sb.toString();
    }

    Target target(String goal) {
        final double[] frames = windowMedians(1);
        final double[] backlog = windowMedians(2);
        if (frames.length <= REFERENCE_WINDOW + 1) {
            return Target.notMeasured(goal, label + " ran " + frames.length * WINDOW_SECONDS
                    + " whole seconds: needs at least 15");
        }
        final StringBuilder b = new StringBuilder(label).append(": ");
        final boolean okFrames = within(frames, windowMeans(1), "frames in use", b);
        b.append("; ");
        final boolean okBacklog = within(backlog, windowMeans(2), "SRCU backlog", b);
        final double[] rate = range(windowCallbackRates());
        final double[] wait = range(windowWaitsMillis());
        b.append(String.format(Locale.ROOT, " (after 10 s: callbacks queued %.0f..%.0f/s, each waiting %.2f..%.2f ms)",
                rate[0], rate[1], wait[0], wait[1]));
        // The last window may be cut short by the deadline; more than that missing means the cell stopped.
        final boolean whole = (long) frames.length * WINDOW_SECONDS >= seconds - WINDOW_SECONDS;
        if (!whole) {
            b.append("; stopped after ").append(frames.length * WINDOW_SECONDS).append(" s of ").append(seconds)
                    .append(" (a violation ends the cell)");
        }
        return Target.of(goal, okFrames && okBacklog && whole, b.toString());
    }

    /**
     * Whether every window's level after the reference lies within ±10% of it; describes the spread
     * of the levels (medians), and of the means, into {@code b}.
     */
    private static boolean within(double[] levels, double[] means, String what, StringBuilder b) {
        final double ref = levels[REFERENCE_WINDOW];
        final double[] lv = range(levels);
        final double[] mn = range(means);
        final boolean ok = lv[1] <= ref * 1.10 && lv[0] >= ref * 0.90;
        b.append(String.format(Locale.ROOT,
                "%s %.1f at 10 s (median of 5-10 s), 5-s medians after it %.1f..%.1f (%+.1f%%..%+.1f%%)"
                        + " [means: %.1f at 10 s, %.1f..%.1f after]",
                what, ref, lv[0], lv[1], pct(lv[0], ref), pct(lv[1], ref), means[REFERENCE_WINDOW], mn[0], mn[1]));
        return ok;
    }

    /** Lowest and highest value after the reference window. */
    private static double[] range(double[] v) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = REFERENCE_WINDOW + 1; i < v.length; i++) {
            if (!Double.isNaN(v[i])) {
                lo = Math.min(lo, v[i]);
                hi = Math.max(hi, v[i]);
            }
        }
        return new double[] {lo, hi};
    }

    private static double pct(double v, double ref) {
        return ref == 0 ? (v == 0 ? 0 : Double.POSITIVE_INFINITY) : 100 * (v - ref) / ref;
    }
}
