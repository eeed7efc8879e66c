/**
 * Physical memory of the emulated machine: real bytes in off-heap Agrona buffers, 4 KiB frames,
 * and the frame allocator with per-frame reference and map counts, per-CPU caches and a limit.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>A frame is FREE (on a stack or in a cache) iff its reference count is 0; frame 0 is never
 *   handed out, so 0 means "no frame" in tables.</li>
 *   <li>At most {@code limit} frames are in use; {@code alloc} returns OOM at the limit, never
 *   throws for it.</li>
 *   <li>A frame is never freed while its map count is non-zero.</li>
 * </ul>
 *
 * <h2>Access-mode naming</h2>
 * {@code getAcquire}, {@code getOpaque}, {@code getVolatile}, {@code putRelease},
 * {@code putVolatile}, {@code cas}, {@code getAndSet}: every access to a frame's words names its mode.
 *
 * <h2>May touch</h2>
 * Agrona, JCTools and the JDK only.
 */
package dev.specfault.pmap.phys;
