package dev.specfault.stress.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * The names of a comma-list option ({@code --design speculative,locked}), checked before anything
 * runs: an empty value, an empty name (a comma at either end or two together) or a name given
 * twice is a one-line error, not a run of nothing, of a default or of one cell twice; so is a
 * name that stands for every name ({@code all}, {@code list}) beside others.
 */
final class CommaList {
    private CommaList() {
    }

    /**
     * The names of {@code value}, stripped, in order; {@code whole} (when not null) must stand alone.
     */
    static List<String> split(CommandLine cl, String option, String value, String whole) {
        if (value.isBlank()) {
            throw new CommandLine.ParameterException(cl, option + " is empty");
        }
        final List<String> names = new ArrayList<>();
        for (String p : value.split(",", -1)) {
            final String x = p.strip();
            if (x.isEmpty()) {
                throw new CommandLine.ParameterException(cl, option + " '" + value
                        + "' has an empty name (a comma at the start or end, or two together)");
            }
            if (names.contains(x)) {
                throw new CommandLine.ParameterException(cl, option + ": " + x + " is given twice");
            }
            names.add(x);
        }
        if (whole != null && names.size() > 1 && names.contains(whole)) {
            throw new CommandLine.ParameterException(cl, option + ": " + whole
                    + " cannot be combined with other names");
        }
        return names;
    }
}
