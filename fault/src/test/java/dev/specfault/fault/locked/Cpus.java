package dev.specfault.fault.locked;

import dev.specfault.fault.AddressSpace;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Machine;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Test scaffolding: one thread per emulated CPU (each bound to its CPU), and a {@link Pause} that a
 * hook uses to stop a fault between two steps while the test runs another operation.
 */
final class Cpus implements AutoCloseable {
    static final long TIMEOUT_S = 20;

    private final Machine machine;
    private final ExecutorService[] executors;
    private final Thread[] threads;

    Cpus(Machine machine) {
        this.machine = machine;
        this.executors = new ExecutorService[machine.cpuCount()];
        this.threads = new Thread[machine.cpuCount()];
        for (int i = 0; i < executors.length; i++) {
            final int id = i;
            executors[i] = Executors.newSingleThreadExecutor(r -> {
                final Thread t = new Thread(r, "cpu" + id);
                t.setDaemon(true);
                threads[id] = t;
                return t;
            });
            run(i, () -> {
                machine.cpu(id).bind();
                return null;
            });
        }
    }

    Thread thread(int cpu) {
        return threads[cpu];
    }

    <T> Future<T> submit(int cpu, Callable<T> body) {
        return executors[cpu].submit(body);
    }

    <T> T run(int cpu, Callable<T> body) {
        return get(submit(cpu, body));
    }

    static <T> T get(Future<T> f) {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A load on {@code cpu}: the value, or -1000 - the AccessResult. */
    Future<Long> load(int cpu, AddressSpace s, long va) {
        return submit(cpu, () -> {
            final int r = s.load(machine.cpu(cpu), va);
            return r == AccessResult.OK ? machine.cpu(cpu).value() : -1000L - r;
        });
    }

    Future<Integer> store(int cpu, AddressSpace s, long va, long v) {
        return submit(cpu, () -> s.store(machine.cpu(cpu), va, v));
    }

    /** A load on the calling thread, which must be {@code cpu}'s. */
    static long loadHere(Machine m, int cpu, AddressSpace s, long va) {
        final int r = s.load(m.cpu(cpu), va);
        return r == AccessResult.OK ? m.cpu(cpu).value() : -1000L - r;
    }

    long loadNow(int cpu, AddressSpace s, long va) {
        return get(load(cpu, s, va));
    }

    int storeNow(int cpu, AddressSpace s, long va, long v) {
        return get(store(cpu, s, va, v));
    }

    /** Whether {@code cpu}'s thread is parked or blocked (waiting for a lock). */
    boolean waiting(int cpu) {
        final Thread.State st = threads[cpu].getState();
        return st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING || st == Thread.State.BLOCKED;
    }

    /** Polls {@code cond} until it holds; false after the timeout. */
    static boolean await(BooleanSupplier cond) {
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        return true;
    }

    @Override
    public void close() {
        for (int i = 0; i < executors.length; i++) {
            final int id = i;
            try {
                executors[i].submit(() -> machine.cpu(id).unbind()).get(TIMEOUT_S, TimeUnit.SECONDS);
            } catch (Exception e) {
                // a thread still held by a failed scenario: it is a daemon
            }
            executors[i].shutdownNow();
        }
    }

    /** A one-shot pause: the paused thread signals {@link #reached} and waits for {@link #release}. */
    static final class Pause {
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private volatile Thread who;

        /** Called by the hook on the thread to pause: only its first call pauses. */
        void here() {
            synchronized (this) {
                if (who != null) {
                    return;
                }
                who = Thread.currentThread();
            }
            reached.countDown();
            try {
                if (!released.await(TIMEOUT_S, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("pause never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void awaitReached() {
            try {
                if (!reached.await(TIMEOUT_S, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("pause point never reached");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }

        boolean isReached() {
            return reached.getCount() == 0;
        }

        void release() {
            released.countDown();
        }
    }
}
