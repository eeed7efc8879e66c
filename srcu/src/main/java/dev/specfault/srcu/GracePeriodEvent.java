package dev.specfault.srcu;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A JDK Flight Recorder event for one grace period of a domain, from its start (the callbacks
 * queued so far wait for it) to its end (both scans found the readers gone). Emitted only while
 * {@link #setRecording recording} is on, so a domain pays nothing for it otherwise; the event's
 * thread is the one that drove the grace period to its end.
 */
@Name("specfault.GracePeriod")
@Label("SRCU grace period")
@Category({"specfault", "SRCU"})
@Description("One SRCU grace period of a domain, start to end")
@StackTrace(false)
@Enabled(true)
public final class GracePeriodEvent extends Event {
    /** Whether events are emitted. [a] volatile: set by the tool around a run, read at each grace period. */
    private static volatile boolean recording;

    @Label("Domain")
    String domain;

    @Label("Sequence")
    @Description("The grace-period sequence number at the end (Linux srcu_gp_seq)")
    long sequence;

    @Label("Callbacks")
    @Description("Callbacks queued since the previous grace period's start: about those that waited for this one")
    long callbacks;

    /** Turns emission on or off for every domain (the stress tool's {@code --jfr}). */
    public static void setRecording(boolean on) {
        recording = on;
    }

    /** Whether emission is on. */
    public static boolean recording() {
        return recording;
    }
}
