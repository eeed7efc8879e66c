package dev.specfault.fault;

/**
 * A new address space could not get a frame for its root page table: the machine's frame limit is
 * reached ({@link Spaces#create}). fork() turns it into its ENOMEM (null), as Linux's pgd_alloc
 * failing does.
 */
public final class OutOfFramesException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public OutOfFramesException(String space) {
        super("no free frame for the root page table of space " + space + " (the machine's frame limit is reached)");
    }
}
