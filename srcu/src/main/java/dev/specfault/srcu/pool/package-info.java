/**
 * Poisoning pools for objects reclaimed through SRCU: retire, grace period, poison, quarantine
 * (bounded FIFO), reuse with a bumped incarnation; readers validate what they read and
 * use-after-free is reported, never silently tolerated.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>An object is poisoned only from an SRCU callback of the pool's domain, so only after every
 *   reader that could have found it has left (unless a seeded bug of the domain breaks that).</li>
 *   <li>An object's incarnation only grows; it changes exactly when the object is handed out again.</li>
 *   <li>Retiring an object that is not live throws (double free is a bug, not a state).</li>
 * </ul>
 *
 * <h2>Access-mode naming</h2>
 * As in {@code dev.specfault.srcu}: {@code incarnation()} is an acquire read, state changes are
 * volatile stores or CAS, named in the accessor.
 *
 * <h2>May touch</h2>
 * {@code dev.specfault.srcu} and the JDK.
 */
package dev.specfault.srcu.pool;
