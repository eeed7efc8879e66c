package dev.specfault.stress.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

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
        final List<String> cols = new java.util.ArrayList<>();
        for (Map<String, Object> r : rows) {
            for (String k : r.keySet()) {
                if (!cols.contains(k)) {
                    cols.add(k);
                }
            }
        }
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < cols.size(); i++) {
            b.append(i == 0 ? "" : ",").append(field(cols.get(i)));
        }
        b.append('\n');
        for (Map<String, Object> r : rows) {
            for (int i = 0; i < cols.size(); i++) {
                final Object v = r.get(cols.get(i));
                b.append(i == 0 ? "" : ",").append(v == null ? "" : field(plain(v)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String plain(Object v) {
        return v instanceof Double dd ? String.format(Locale.ROOT, "%.3f", dd) : String.valueOf(v);
    }

    /** A CSV field (RFC 4180): quoted, with its quotes doubled, when it holds a comma, a quote or a line break. */
    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    private static String value(Object v) {
        if (v instanceof Double dd && !Double.isFinite(dd)) {
            return "null"; // JSON has no NaN or infinity
        }
        if (v instanceof Number n) {
            return n instanceof Double dd ? String.format(Locale.ROOT, "%.3f", dd) : n.toString();
        }
        return quote(String.valueOf(v));
    }

    /** A JSON string: backslash, quote and control characters escaped. */
    static String quote(String s) {
        final StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
