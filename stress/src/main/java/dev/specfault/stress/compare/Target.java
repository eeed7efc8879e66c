package dev.specfault.stress.compare;

/**
 * One of the performance targets evaluated on one run.
 *
 * @param goal     what the issue asks, one line
 * @param status   whether this run met it
 * @param measured the numbers behind the status
 */
public record Target(String goal, Status status, String measured) {
    /** PASS, MISS, or not measured by this run ({@code n/a}). */
    public enum Status {
        PASS, MISS, NA;

        public String text() {
            return this == NA ? "n/a" : name();
        }
    }

    static Target of(String goal, boolean pass, String measured) {
        return new Target(goal, pass ? Status.PASS : Status.MISS, measured);
    }

    static Target notMeasured(String goal, String why) {
        return new Target(goal, Status.NA, why);
    }
}
