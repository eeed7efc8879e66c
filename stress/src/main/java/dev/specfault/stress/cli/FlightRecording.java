package dev.specfault.stress.cli;

import dev.specfault.fault.FaultEvents;
import dev.specfault.srcu.GracePeriodEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
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

    /**
     * Stops the recording and writes it to {@code file}; a failure names the file and says why.
     * JFR writes to a temporary file first and the copy is ours: JFR's own dump replaces any write
     * error by "Unexpected error during I/O operation", without its cause.
     */
    void dumpTo(Path file) throws IOException {
        if (recording != null) {
            stopEmitting();
            recording.stop();
            final Path tmp = Files.createTempFile("specfault-", ".jfr");
            try {
                recording.dump(tmp);
                try (OutputStream o = Files.newOutputStream(file)) {
                    Files.copy(tmp, o);
                } catch (FileSystemException e) {
                    throw e;
                } catch (IOException e) {
                    throw new FileSystemException(file.toString(), null, e.getMessage());
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
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
