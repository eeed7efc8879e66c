package dev.specfault.stress.cli;

import java.time.Duration;
import picocli.CommandLine;

/** Parses {@code 500ms}, {@code 10s}, {@code 2m}: a positive number with a unit suffix. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    /** The longest duration accepted: a week, far past any soak, far below a deadline's overflow. */
    static final Duration MAX = Duration.ofDays(7);

    @Override
    public Duration convert(String value) {
        final String v = value.strip();
        final long n;
        final String unit;
        int i = 0;
        while (i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9') { // ASCII: not any script's digits
            i++;
        }
        int first = 0;
        while (first < i - 1 && v.charAt(first) == '0') {
            first++; // leading zeros do not count towards the length limit
        }
        if (i == 0 || i - first > 12) {
            throw bad(value);
        }
        n = Long.parseLong(v.substring(first, i));
        unit = v.substring(i);
        final Duration d;
        switch (unit) {
            case "ms":
                d = Duration.ofMillis(n);
                break;
            case "s":
                d = Duration.ofSeconds(n);
                break;
            case "m":
                d = Duration.ofMinutes(n);
                break;
            default:
                throw bad(value);
        }
        if (d.isZero()) {
            throw new CommandLine.TypeConversionException("duration must be positive: '" + value + "'");
        }
        if (d.compareTo(MAX) > 0) {
            throw new CommandLine.TypeConversionException("duration must be at most 7 days (10080m): '" + value + "'");
        }
        return d;
    }

    private static CommandLine.TypeConversionException bad(String value) {
        return new CommandLine.TypeConversionException(
                "not a duration: '" + value + "' (use a number with ms, s or m, e.g. 500ms, 10s, 2m)");
    }
}
