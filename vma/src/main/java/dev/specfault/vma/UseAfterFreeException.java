package dev.specfault.vma;

/**
 * A lock-free reader of the {@link VmaTree} read a node or record that had been reclaimed (poisoned):
 * a violation of P3, reported to the tree's {@code UseAfterFreeLog} and then thrown, because the
 * lookup has no correct answer to give. Only a broken grace period (a seeded bug, or a reader outside
 * its read section) gets here.
 */
public final class UseAfterFreeException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public UseAfterFreeException(String message) {
        super(message);
    }
}
