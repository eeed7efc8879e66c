package dev.specfault.stress.cli;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.PteFormat;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./specfault pte decode|encode --arch x86|arm64}: a page-table entry's fields by their
 * manual names, from a raw value or to one, with the emulator's own formats.
 */
@Command(name = "pte", mixinStandardHelpOptions = true,
        description = "Decodes or encodes a page-table entry (x86-64 or arm64, by the manuals' field names).",
        subcommands = {PteCommand.Decode.class, PteCommand.Encode.class})
public final class PteCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "decode or encode is required");
    }

    static PteFormat format(CommandLine cl, String arch) {
        final Arch a = CheckCommand.arch(cl, arch, "x86, x86-la57 or arm64");
        return a.format();
    }

    static long parseValue(CommandLine cl, String s) {
        final String t = s.replace("_", "");
        final boolean hex = t.startsWith("0x") || t.startsWith("0X");
        final String digits = hex ? t.substring(2) : t;
        final int radix = hex ? 16 : 10;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c < 128 && Character.digit(c, radix) >= 0 || c == '-')
                || digits.lastIndexOf('-') > 0 || hex && digits.startsWith("-")) {
            // ASCII digits only (Java's parsers take any script's, and a sign after 0x); '-' leads.
            throw new CommandLine.ParameterException(cl, "not a number: '" + s + "' (decimal or 0x-hex)");
        }
        if (digits.startsWith("-") && digits.substring(1).chars().allMatch(c -> c == '0')) {
            throw new CommandLine.ParameterException(cl, "'" + s + "' is negative (an entry is 0 to 0xffffffffffffffff)");
        }
        try {
            return Long.parseUnsignedLong(digits, radix);
        } catch (NumberFormatException e) {
            // A number all the same (too large, or negative) is told apart from one that is not.
            final java.math.BigInteger n;
            try {
                n = new java.math.BigInteger(digits, radix);
            } catch (NumberFormatException notANumber) {
                throw new CommandLine.ParameterException(cl, "not a number: '" + s + "' (decimal or 0x-hex)");
            }
            throw new CommandLine.ParameterException(cl, "'" + s + "' is " + (n.signum() < 0 ? "negative" : "out of the 64-bit range")
                    + " (an entry is 0 to 0xffffffffffffffff)");
        }
    }

    /** {@code pte decode --arch A VALUE}. */
    @Command(name = "decode", mixinStandardHelpOptions = true, description = "Prints every field of an entry.")
    static final class Decode implements Callable<Integer> {
        @Option(names = "--arch", required = true, description = "x86, x86-la57 or arm64")
        String arch;

        @Parameters(paramLabel = "VALUE", description = "the entry, decimal or 0x-hex")
        String value;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final PteFormat f = format(spec.commandLine(), arch);
            final long e = parseValue(spec.commandLine(), value);
            final PrintWriter out = spec.commandLine().getOut();
            // NAME=VALUE, one per line, nothing else: the output is what encode takes back.
            final LinkedHashMap<String, Long> fields = f.decode(e);
            for (Map.Entry<String, Long> x : fields.entrySet()) {
                final long v = x.getValue();
                out.printf("%s=%s%n", x.getKey(),
                        x.getKey().equals("frame") ? "0x" + Long.toHexString(v) : Long.toString(v));
            }
            return 0;
        }
    }

    /** {@code pte encode --arch A FIELD=VALUE...}. */
    @Command(name = "encode", mixinStandardHelpOptions = true,
            description = "Builds an entry from FIELD=VALUE pairs (fields not given are 0); prints it in hex.")
    static final class Encode implements Callable<Integer> {
        @Option(names = "--arch", required = true, description = "x86, x86-la57 or arm64")
        String arch;

        @Parameters(paramLabel = "FIELD=VALUE", arity = "1..*", description = "fields by the manual's names")
        List<String> assignments;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final CommandLine cl = spec.commandLine();
            final PteFormat f = format(cl, arch);
            final Map<String, Long> fields = new LinkedHashMap<>();
            for (String a : assignments) {
                final int eq = a.indexOf('=');
                if (eq <= 0) {
                    throw new CommandLine.ParameterException(cl, "expected FIELD=VALUE, got '" + a + "' (fields: "
                            + String.join(" ", f.fieldNames()) + " " + String.join(" ", f.extraFieldNames()) + ")");
                }
                if (fields.put(a.substring(0, eq), parseValue(cl, a.substring(eq + 1))) != null) {
                    throw new CommandLine.ParameterException(cl, a.substring(0, eq) + " given twice");
                }
            }
            final long e;
            try {
                e = f.encode(fields);
            } catch (IllegalArgumentException ex) {
                throw new CommandLine.ParameterException(cl, ex.getMessage());
            }
            cl.getOut().printf("0x%016x%n", e);
            return 0;
        }
    }
}
