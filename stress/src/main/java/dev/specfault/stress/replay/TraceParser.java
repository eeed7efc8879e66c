package dev.specfault.stress.replay;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the log of {@code strace -f -y -e trace=memory,process [-o FILE]}.
 *
 * <h2>Lines</h2>
 * <pre>
 *   [PID  ]   or [pid PID]             optional; a line without one belongs to pid 0
 *   [time ]                             optional (-t, -tt, -ttt)
 *   name(args) = result [&lt;0.000012&gt;]  result: 0x7f.., 12, ?, -1 ENOMEM (Cannot allocate memory)
 *   name(args &lt;unfinished ...&gt;        paired per pid with the next
 *   &lt;... name resumed&gt;rest) = result
 *   +++ exited with 0 +++ / +++ killed by SIGKILL +++     the task is gone
 *   --- SIGCHLD {...} ---, strace: Process N attached    not calls: skipped
 * </pre>
 *
 * <h2>Order</h2>
 * A call takes effect somewhere between its entry and its exit. Memory calls are ordered at their
 * exit line (their result is known there, and a thread's effect is visible to the others after
 * it); clone, clone3, fork and vfork at their entry line, because the child may run — and appear in
 * the log — before the parent's call returns. Every event keeps the line where it starts, which is
 * the line messages name.
 */
public final class TraceParser {
    private static final Pattern PREFIX = Pattern.compile(
            "^(?:\\[pid\\s+(\\d+)\\]\\s*|(\\d+)\\s+)?(?:(?:\\d{1,2}:\\d{2}:\\d{2}(?:\\.\\d+)?|\\d{9,}\\.\\d+)\\s+)?(.*)$");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. ([A-Za-z_0-9?]+) resumed>(.*)$");
    private static final Pattern CALL_START = Pattern.compile("^([A-Za-z_][A-Za-z_0-9]*|\\?\\?\\?)\\((.*)$");
    private static final Pattern UNFINISHED = Pattern.compile("\\s*<unfinished \\.\\.\\.>\\s*$");
    private static final Pattern PID_CHANGED = Pattern.compile("\\s*<pid changed to (\\d+) \\.\\.\\.>\\s*$");
    private static final Pattern ERR = Pattern.compile("^-1 (E[A-Z0-9]+)(?: \\(.*\\))?$");

    /**
     * Events in replay order, how many lines there were, and for each event the line where it ended
     * (a call's result line; for an unfinished-then-resumed call, the resumed line).
     */
    private static final Pattern SUPERSEDED = Pattern.compile("\\+\\+\\+ superseded by execve in pid (\\d+) \\+\\+\\+");

    public record Trace(List<TraceEvent> events, int lines, List<Integer> ends) {
    }

    private record Pending(int line, String head) {
    }

    private record Keyed(int order, int end, TraceEvent event) {
        Keyed(int line, TraceEvent event) {
            this(line, line, event);
        }
    }

    private TraceParser() {
    }

    public static Trace parse(List<String> lines) {
        final List<Keyed> out = new ArrayList<>();
        final Map<Integer, Pending> pending = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            final int ln = i + 1;
            final String raw = lines.get(i);
            if (raw.isBlank()) {
                continue;
            }
            final Matcher p = PREFIX.matcher(raw.strip());
            if (!p.matches()) {
                out.add(new Keyed(ln, new TraceEvent.Unparsed(ln, 0, raw, "no call")));
                continue;
            }
            final String pidText = p.group(1) != null ? p.group(1) : p.group(2);
            final int pid = pidText == null ? 0 : pid(pidText);
            if (pid < 0) {
                out.add(new Keyed(ln, new TraceEvent.Unparsed(ln, 0, raw, "pid " + pidText + " out of range")));
                continue;
            }
            String body = p.group(3).strip();
            if (body.startsWith("---") || body.startsWith("strace: ")) {
                continue; // a signal, or strace's own notice: not a call
            }
            if (body.startsWith("+++")) {
                if (body.startsWith("+++ exited") || body.startsWith("+++ killed")) {
                    out.add(new Keyed(ln, new TraceEvent.Exit(ln, pid, body)));
                } else {
                    // "L +++ superseded by execve in pid T +++": thread T of leader L ran execve and
                    // goes on as L (de_thread): thread id T is gone, L stays
                    final Matcher t = SUPERSEDED.matcher(body);
                    final int gone = t.matches() ? pid(t.group(1)) : -1;
                    if (gone > 0 && gone != pid) {
                        out.add(new Keyed(ln, new TraceEvent.Exit(ln, gone, body)));
                        // T's execve, left unfinished under T, resumes under L (strace 6 prints no
                        // "<pid changed to L ...>" then): it is L's pending call now.
                        final Pending pe = pending.get(gone);
                        if (pe != null && (pe.head().startsWith("execve(") || pe.head().startsWith("execveat("))
                                && !pending.containsKey(pid)) {
                            pending.put(pid, pending.remove(gone));
                        }
                    }
                }
                continue;
            }
            int start = ln;
            int order = ln;
            final Matcher r = RESUMED.matcher(body);
            if (r.matches()) {
                final Pending pe = pending.remove(pid);
                if (pe == null) {
                    out.add(new Keyed(ln, new TraceEvent.Unparsed(ln, pid, raw, "resumed without an unfinished call")));
                    continue;
                }
                if (!r.group(1).contains("?") && !pe.head().startsWith(r.group(1) + "(")) {
                    // strace resumes the call it left unfinished on that pid: another name is not that call.
                    out.add(new Keyed(pe.line(), new TraceEvent.Unparsed(pe.line(), pid, pe.head(),
                            "unfinished, then line " + ln + " resumes " + r.group(1))));
                    out.add(new Keyed(ln, new TraceEvent.Unparsed(ln, pid, raw, "resumes " + r.group(1)
                            + ", but line " + pe.line() + " left another call unfinished")));
                    continue;
                }
                body = pe.head() + r.group(2);
                start = pe.line();
                if (isClone(r.group(1))) {
                    order = pe.line();
                }
            } else {
                final Matcher u = UNFINISHED.matcher(body);
                final Matcher moved = PID_CHANGED.matcher(body);
                final boolean unfinished = u.find();
                if (unfinished || moved.find()) {
                    // "<pid changed to L ...>": a non-leader's execve, which ends as its leader L
                    final int on = unfinished ? pid : pid(moved.group(1));
                    final int cut = unfinished ? u.start() : moved.start();
                    if (on < 0) {
                        out.add(new Keyed(ln, new TraceEvent.Unparsed(ln, pid, raw, "pid " + moved.group(1) + " out of range")));
                        continue;
                    }
                    final Pending old = pending.put(on, new Pending(ln, body.substring(0, cut)));
                    if (old != null) {
                        out.add(new Keyed(old.line(), new TraceEvent.Unparsed(old.line(), pid, old.head(),
                                "unfinished, never resumed")));
                    }
                    continue;
                }
            }
            out.add(new Keyed(order, ln, parseCall(start, pid, body, raw)));
        }
        for (Map.Entry<Integer, Pending> e : pending.entrySet()) {
            final Pending pe = e.getValue();
            out.add(new Keyed(pe.line(), new TraceEvent.Unparsed(pe.line(), e.getKey(), pe.head(),
                    "unfinished at the end of the trace")));
        }
        out.sort(Comparator.comparingInt(Keyed::order)); // stable: equal keys keep log order
        final List<TraceEvent> events = new ArrayList<>(out.size());
        final List<Integer> ends = new ArrayList<>(out.size());
        out.forEach(k -> {
            events.add(k.event());
            ends.add(k.end());
        });
        return new Trace(events, lines.size(), ends);
    }

    /** A pid as strace prints it (digits); -1 if it is larger than any pid (Linux's PID_MAX_LIMIT is 2^22). */
    private static int pid(String digits) {
        return digits.length() > 9 ? -1 : Integer.parseInt(digits);
    }

    static boolean isClone(String name) {
        return name.equals("clone") || name.equals("clone3") || name.equals("fork") || name.equals("vfork");
    }

    /** {@code name(args) = result}, or an {@link TraceEvent.Unparsed}. */
    static TraceEvent parseCall(int ln, int pid, String body, String raw) {
        final Matcher c = CALL_START.matcher(body);
        if (!c.matches()) {
            return new TraceEvent.Unparsed(ln, pid, raw, "no call");
        }
        final String name = c.group(1);
        final String rest = c.group(2);
        final List<String> args = new ArrayList<>();
        final int close = splitArgs(rest, args);
        if (close < 0) {
            return new TraceEvent.Unparsed(ln, pid, raw, "unbalanced arguments");
        }
        String res = rest.substring(close + 1).strip();
        if (!res.startsWith("=")) {
            return new TraceEvent.Unparsed(ln, pid, raw, "no result");
        }
        res = res.substring(1).strip();
        final int t = res.lastIndexOf(" <");
        if (t >= 0 && res.endsWith(">")) {
            res = res.substring(0, t).strip(); // -T's time
        }
        final String text = name + "(" + String.join(", ", args) + ")";
        if (res.startsWith("?")) {
            final String after = res.substring(1).strip();
            final String err = after.startsWith("ERESTART") ? after.split(" ")[0] : null;
            return new TraceEvent.Call(ln, pid, name, args, 0, true, err, text);
        }
        final Matcher e = ERR.matcher(res);
        if (e.matches()) {
            final int errno = Errnos.number(e.group(1));
            return new TraceEvent.Call(ln, pid, name, args, errno > 0 ? -errno : -4095, false, e.group(1), text);
        }
        final String first = res.split("\\s+")[0];
        try {
            return new TraceEvent.Call(ln, pid, name, args, Values.number(first), false, null, text);
        } catch (IllegalArgumentException x) {
            return new TraceEvent.Unparsed(ln, pid, raw, "result '" + res + "'");
        }
    }

    /**
     * Splits {@code a, b, c) = ...} at the commas outside brackets, quotes and comments into
     * {@code out}; returns the index of the closing parenthesis, or -1.
     */
    static int splitArgs(String s, List<String> out) {
        int depth = 0;
        int from = 0;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            final char ch = s.charAt(i);
            if (quoted) {
                if (ch == '\\') {
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                }
                continue;
            }
            if (ch == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
                final int end = s.indexOf("*/", i + 2);
                if (end < 0) {
                    return -1;
                }
                i = end + 1;
                continue;
            }
            switch (ch) {
                case '"':
                    quoted = true;
                    break;
                case '(': case '[': case '{':
                    depth++;
                    break;
                case '<':
                    if (i > 0 && Character.isDigit(s.charAt(i - 1))) {
                        final int end = s.indexOf('>', i); // fd path from -y
                        if (end < 0) {
                            return -1;
                        }
                        i = end;
                    }
                    break;
                case ']': case '}':
                    depth--;
                    break;
                case ')':
                    if (depth == 0) {
                        final String last = s.substring(from, i).strip();
                        if (!last.isEmpty() || !out.isEmpty()) {
                            out.add(last);
                        }
                        return i;
                    }
                    depth--;
                    break;
                case ',':
                    if (depth == 0) {
                        out.add(s.substring(from, i).strip());
                        from = i + 1;
                    }
                    break;
                default:
                    break;
            }
        }
        return -1;
    }
}
