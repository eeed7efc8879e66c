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

    ReplayReport(String design) {
        this.design = design;
    }

    void replayed() {
        replayed++;
    }

    void mismatch(String m) {
        mismatches.add(m);
    }

    void unsupported(String what, int line) {
        unsupported.computeIfAbsent(what, k -> new ArrayList<>()).add(line);
    }

    void outside(TraceEvent.Call c) {
        outside++;
        outsideCalls.add("line " + c.line() + ": " + c.text() + " = " + c.resultText());
    }

    void note(String n) {
        notes.add(n);
    }

    /**
     * The call {@code c} was counted from the state {@code (replayedBefore, mismatchesBefore,
     * outsideBefore)} on, and its verdict cannot be trusted: its mismatches are dropped and it counts
     * as outside instead, with {@code why} noted.
     */
    void demote(TraceEvent.Call c, int replayedBefore, int mismatchesBefore, int outsideBefore, String why) {
        final List<String> dropped = new ArrayList<>(mismatches.subList(mismatchesBefore, mismatches.size()));
        mismatches.subList(mismatchesBefore, mismatches.size()).clear();
        replayed = replayedBefore;
        if (outside == outsideBefore) {
            outside(c);
        }
        for (String d : dropped) {
            notes.add(why + ": not counted: " + d);
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
