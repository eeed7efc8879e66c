package dev.specfault.stress.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** Flat result rows (name → string or number) as JSON and CSV. */
final class Results {
    private Results() {
    }

    static String json(List<Map<String, Object>> rows) {
        final StringBuilder b = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            b.append("  {");
            boolean first = true;
            for (Map.Entry<String, Object> e : rows.get(i).entrySet()) {
                b.append(first ? "" : ", ").append(quote(e.getKey())).append(": ").append(value(e.getValue()));
                first = false;
            }
            b.append(i + 1 < rows.size() ? "},\n" : "}\n");
        }
        return b.append("]\n").toString();
    }

    static String csv(List<Map<String, Object>> rows) {
        final TreeSet<String> extra = new TreeSet<>();
        final List<String> cols = new java.util.ArrayList<>();
        for (Map<String, Object> r : rows) {
            for (String k : r.keySet()) {
                if (!cols.contains(k) && !extra.contains(k)) {
                    cols.add(k);
                }
            }
        }
        final StringBuilder b = new StringBuilder(String.join(",", cols)).append('\n');
        for (Map<String, Object> r : rows) {
            for (int i = 0; i < cols.size(); i++) {
                final Object v = r.get(cols.get(i));
                b.append(i == 0 ? "" : ",").append(v == null ? "" : plain(v));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String plain(Object v) {
        return v instanceof Double dd ? String.format(Locale.ROOT, "%.3f", dd) : String.valueOf(v);
    }

    private static String value(Object v) {
        if (v instanceof Number n) {
            return n instanceof Double dd ? String.format(Locale.ROOT, "%.3f", dd) : n.toString();
        }
        return quote(String.valueOf(v));
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
