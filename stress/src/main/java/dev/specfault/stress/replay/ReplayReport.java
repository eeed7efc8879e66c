package dev.specfault.stress.replay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a replay on one design found. */
public final class ReplayReport {
    private final String design;
    private int replayed;
    private int outside;
    private final List<String> mismatches = new ArrayList<>();
    private final Map<String, List<Integer>> unsupported = new LinkedHashMap<>();
    private final List<String> outsideCalls = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    /** What each call being replayed added (a call replayed ahead inside another has its own). */
    private final java.util.ArrayDeque<Scope> scopes = new java.util.ArrayDeque<>();

    /** One call's share of the counts. */
    private static final class Scope {
        int replayed;
        final List<String> mismatches = new ArrayList<>();
        boolean outside;
    }

    ReplayReport(String design) {
        this.design = design;
    }

    void replayed() {
        replayed++;
        if (!scopes.isEmpty()) {
            scopes.peek().replayed++;
        }
    }

    void mismatch(String m) {
        mismatches.add(m);
        if (!scopes.isEmpty()) {
            scopes.peek().mismatches.add(m);
        }
    }

    void unsupported(String what, int line) {
        unsupported.computeIfAbsent(what, k -> new ArrayList<>()).add(line);
    }

    void outside(TraceEvent.Call c) {
        outside++;
        outsideCalls.add("line " + c.line() + ": " + c.text() + " = " + c.resultText());
        if (!scopes.isEmpty()) {
            scopes.peek().outside = true;
        }
    }

    /** A call's replay begins: what it adds, apart from the calls replayed ahead inside it, is its own. */
    void begin() {
        scopes.push(new Scope());
    }

    /** The call's replay ended. */
    void end() {
        scopes.pop();
    }

    /** Whether the call being replayed (not the ones replayed ahead inside it) has mismatched. */
    boolean mismatched() {
        return !scopes.isEmpty() && !scopes.peek().mismatches.isEmpty();
    }

    void note(String n) {
        notes.add(n);
    }

    /**
     * The verdict of the call {@code c} being replayed cannot be trusted: its own mismatches are
     * dropped (noted with {@code why}) and it counts as outside instead of replayed.
     */
    void demote(TraceEvent.Call c, String why) {
        final Scope s = scopes.peek();
        for (String m : s.mismatches) {
            mismatches.removeIf(x -> x == m);
            notes.add(why + ": not counted: " + m);
        }
        s.mismatches.clear();
        replayed -= s.replayed;
        s.replayed = 0;
        if (!s.outside) {
            outside(c);
        }
    }

    public String design() {
        return design;
    }

    /** Calls replayed and compared (mismatched ones included). */
    public int replayedCount() {
        return replayed;
    }

    public List<String> mismatches() {
        return mismatches;
    }

    public int unsupportedCount() {
        return unsupported.values().stream().mapToInt(List::size).sum();
    }

    /** Each unsupported kind of call and the lines it appears on. */
    public Map<String, List<Integer>> unsupported() {
        return unsupported;
    }

    public int outsideCount() {
        return outside;
    }

    public List<String> outsideCalls() {
        return outsideCalls;
    }

    public List<String> notes() {
        return notes;
    }

    /** {@code replayed=N mismatches=M unsupported=U outside=O}. */
    public String summary() {
        return "replayed=" + replayed + " mismatches=" + mismatches.size() + " unsupported=" + unsupportedCount()
                + " outside=" + outside;
    }
}
