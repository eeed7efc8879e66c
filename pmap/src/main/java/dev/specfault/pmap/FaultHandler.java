package dev.specfault.pmap;

/**
 * The kernel side of a page fault, as the emulated CPU sees it: pmap imports nothing above it, the
 * address-space layer implements this. A CPU calls it after a walk faulted, outside any access,
 * with the faulting address, the access kind and the walk's {@link WalkResult}; the handler fixes
 * the tables (or decides the access fails) and returns.
 */
@FunctionalInterface
public interface FaultHandler {
    /** The handler fixed something (or found nothing to fix): the CPU walks again. */
    int RETRY = -1;

    /**
     * => called on {@code cpu}'s bound thread, outside any access of it.
     *
     * @return {@link #RETRY}, or an {@link AccessResult} the access returns
     */
    int handleFault(Cpu cpu, long va, int access, long walkResult);
}
