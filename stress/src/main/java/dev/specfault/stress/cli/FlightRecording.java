package dev.specfault.stress.cli;

import dev.specfault.fault.FaultEvents;
import dev.specfault.srcu.GracePeriodEvent;
import java.io.IOException;
import java.nio.file.Path;
import jdk.jfr.Recording;

/**
 * {@code --jfr FILE}: a JDK Flight Recorder recording of the project's events (faults, retries,
 * fallbacks, grace periods) around a run, written to FILE. The events are emitted only while one
 * is open.
 */
final class FlightRecording implements AutoCloseable {
    static final String[] EVENTS = {"specfault.Fault", "specfault.FaultRetry", "specfault.FaultFallback",
        "specfault.GracePeriod"};

    private final Recording recording;

    private FlightRecording(Recording recording) {
        this.recording = recording;
    }

    /** Starts a recording if {@code file} is set; otherwise one that does nothing. */
    static FlightRecording startIf(Path file) {
        if (file == null) {
            return new FlightRecording(null);
        }
        final Recording r = new Recording();
        r.setName("specfault");
        for (String e : EVENTS) {
            r.enable(e).withoutStackTrace();
        }
        r.enable("jdk.GarbageCollection");
        r.start();
        FaultEvents.setRecording(true);
        GracePeriodEvent.setRecording(true);
        return new FlightRecording(r);
    }

    /** Stops the recording and writes it to {@code file}. */
    void dumpTo(Path file) throws IOException {
        if (recording != null) {
            stopEmitting();
            recording.stop();
            recording.dump(file);
        }
    }

    private static void stopEmitting() {
        FaultEvents.setRecording(false);
        GracePeriodEvent.setRecording(false);
    }

    @Override
    public void close() {
        if (recording != null) {
            stopEmitting();
            recording.close();
        }
    }
}
