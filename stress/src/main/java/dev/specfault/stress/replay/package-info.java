/**
 * Replaying a real program's memory system calls, as {@code strace -f -y -e trace=memory,process}
 * logged them, on an address space of each design, and comparing every result with the kernel's.
 *
 * <h2>Pieces</h2>
 * {@link dev.specfault.stress.replay.TraceParser} turns a log into {@link dev.specfault.stress.replay.TraceEvent}s
 * (pairing {@code <unfinished ...>} with {@code <... resumed>} per pid); {@link dev.specfault.stress.replay.MapsFile}
 * reads {@code /proc/PID/maps} snapshots; {@link dev.specfault.stress.replay.Replayer} runs the events on one design
 * and fills a {@link dev.specfault.stress.replay.ReplayReport}. docs/replay.md describes the format and the choices.
 *
 * <h2>Invariants</h2>
 * Single-threaded: a replay runs its events one after the other on the calling thread (only
 * {@code --touch} uses several threads, each bound to its own emulated CPU, after the replay). Nothing
 * read from a trace is trusted: an unreadable line is counted as unsupported and listed, never thrown.
 *
 * <h2>May touch</h2>
 * The public API of {@code fault} and {@code pmap}; nothing of the command line.
 */
package dev.specfault.stress.replay;
