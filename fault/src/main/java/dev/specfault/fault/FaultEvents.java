package dev.specfault.fault;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.FaultHandler;
import dev.specfault.pmap.Prot;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JDK Flight Recorder events of the fault paths: every fault with its duration, kind and result,
 * every retry and every fallback with its cause. They are emitted only while
 * {@link #setRecording recording} is on (the stress tool's {@code --jfr}), so the fault path pays
 * one volatile read for them otherwise.
 */
public final class FaultEvents {
    /** Whether events are emitted. [a] volatile: set by the tool around a run, read by every fault. */
    private static volatile boolean recording;

    /** The kind the fault in progress on this thread resolved as (set only while recording). */
    private static final ThreadLocal<SpaceStats.Fault> KIND = new ThreadLocal<>();

    private FaultEvents() {
    }

    /** Turns emission on or off for every space. */
    public static void setRecording(boolean on) {
        recording = on;
    }

    /** Whether emission is on. */
    public static boolean recording() {
        return recording;
    }

    /** One fault, from the CPU's trap to the retry or the signal. */
    @Name("specfault.Fault")
    @Label("Page fault")
    @Category({"specfault", "Fault"})
    @Description("One page fault handled by an emulated address space")
    @StackTrace(false)
    public static final class FaultEvent extends Event {
        @Label("Space")
        String space;
        @Label("Design")
        String design;
        @Label("Address")
        long address;
        @Label("Access")
        String access;
        @Label("Kind")
        @Description("What the fault did (zero_fill, cow_copy, file, ...); empty when it installed nothing")
        String kind;
        @Label("Result")
        @Description("RETRY (resolved: the CPU retries the access) or the signal")
        String result;
    }

    /** A retry of the fault path and its cause. */
    @Name("specfault.FaultRetry")
    @Label("Fault retry")
    @Category({"specfault", "Fault"})
    @StackTrace(false)
    public static final class RetryEvent extends Event {
        @Label("Cause")
        String cause;
    }

    /** A fall back from the speculative path to the locked slow path, and its cause. */
    @Name("specfault.FaultFallback")
    @Label("Fault fallback")
    @Category({"specfault", "Fault"})
    @StackTrace(false)
    public static final class FallbackEvent extends Event {
        @Label("Cause")
        String cause;
    }

    /** The body of a fault handler, timed. */
    @FunctionalInterface
    public interface Handler {
        int handle(Cpu cpu, long va, int access, long walk);
    }

    /** Runs {@code h} as one {@link FaultEvent} of {@code space} (call only while {@link #recording()}). */
    public static int timed(AddressSpace space, Handler h, Cpu cpu, long va, int access, long walk) {
        final FaultEvent e = new FaultEvent();
        KIND.remove();
        e.begin();
        final int r = h.handle(cpu, va, access, walk);
        e.end();
        if (e.shouldCommit()) {
            final SpaceStats.Fault k = KIND.get();
            e.space = space.name();
            e.design = space.design().cliName();
            e.address = va;
            e.access = access == Prot.ACCESS_READ ? "read" : access == Prot.ACCESS_WRITE ? "write" : "exec";
            e.kind = k == null ? "" : k.name().toLowerCase(java.util.Locale.ROOT);
            e.result = r == FaultHandler.RETRY ? "RETRY" : AccessResult.name(r);
            e.commit();
        }
        return r;
    }

    static void fault(SpaceStats.Fault kind) {
        KIND.set(kind);
    }

    static void retry(SpaceStats.Retry cause) {
        final RetryEvent e = new RetryEvent();
        if (e.shouldCommit()) {
            e.cause = cause.name().toLowerCase(java.util.Locale.ROOT);
            e.commit();
        }
    }

    static void fallback(SpaceStats.Fallback cause) {
        final FallbackEvent e = new FallbackEvent();
        if (e.shouldCommit()) {
            e.cause = cause.name().toLowerCase(java.util.Locale.ROOT);
            e.commit();
        }
    }
}
