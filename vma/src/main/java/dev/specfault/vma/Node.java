package dev.specfault.vma;

import dev.specfault.srcu.pool.Pooled;
import java.util.Arrays;

/**
 * A node of the {@link VmaTree}'s copy-on-write B+tree, pooled and reclaimed through SRCU.
 *
 * <pre>
 *   inner:  keys[i] = the highest end in kids[i]'s subtree      kids[i]: Node
 *   leaf:   keys[i] = kids[i].end()                             kids[i]: Vma
 *           0 &lt;= i &lt; size, keys strictly increasing
 * </pre>
 * Arrays have room for {@link #MAX} + 1 entries: one more than a node may hold once its batch is
 * done, so an insertion can overflow before it splits.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] written only while the node is fresh (batch == the writer's current batch: created by it and
 *       not yet published; the writer holds the mmap lock), never after publication; overwritten by
 *       poison() after a grace period
 *   [m] the tree's writer (mmap lock)
 * </pre>
 */
final class Node extends Pooled {
    /** Most entries a node holds (fanout). */
    static final int MAX = 16;
    /** Fewest entries a node other than the root holds. */
    static final int MIN = MAX / 2;
    /** What a poisoned node's keys read as. */
    static final long POISON_KEY = 0xdead_dead_dead_deadL;
    /** What a poisoned node's size reads as. */
    static final int POISON_SIZE = -1;

    int size;                                   // [I]
    boolean leaf;                               // [I]
    final long[] keys = new long[MAX + 1];      // [I] contents
    final Object[] kids = new Object[MAX + 1];  // [I] contents
    /** The number of records in the tree, in a root node only. [I] */
    int total;
    /** The writer's batch that made this node: fresh (mutable) while it is the current one. [m] */
    long batch;

    /** => freshly allocated by the pool to the writer. */
    void reset(boolean isLeaf, long batchId) {
        size = 0;
        leaf = isLeaf;
        total = 0;
        batch = batchId;
    }

    /** The highest end in this subtree. => size > 0. */
    long maxKey() {
        return keys[size - 1];
    }

    /** => fresh. Inserts (key, kid) at {@code i}. */
    void insertAt(int i, long key, Object kid) {
        System.arraycopy(keys, i, keys, i + 1, size - i);
        System.arraycopy(kids, i, kids, i + 1, size - i);
        keys[i] = key;
        kids[i] = kid;
        size++;
    }

    /** => fresh. Removes entry {@code i}. */
    void removeAt(int i) {
        System.arraycopy(keys, i + 1, keys, i, size - i - 1);
        System.arraycopy(kids, i + 1, kids, i, size - i - 1);
        size--;
        kids[size] = null;
    }

    /** => fresh; {@code from} is not published or is being dropped. Appends all of {@code from}'s entries. */
    void appendAll(Node from) {
        System.arraycopy(from.keys, 0, keys, size, from.size);
        System.arraycopy(from.kids, 0, kids, size, from.size);
        size += from.size;
    }

    /** => fresh, and {@code to} fresh and empty. Moves entries [from, size) to {@code to}. */
    void moveTail(int from, Node to) {
        final int n = size - from;
        System.arraycopy(keys, from, to.keys, 0, n);
        System.arraycopy(kids, from, to.kids, 0, n);
        to.size = n;
        Arrays.fill(kids, from, size, null);
        size = from;
    }

    /** => fresh. Copies {@code src}'s entries and kind. */
    void copyFrom(Node src) {
        leaf = src.leaf;
        size = src.size;
        System.arraycopy(src.keys, 0, keys, 0, src.size);
        System.arraycopy(src.kids, 0, kids, 0, src.size);
    }

    @Override
    protected void poison() {
        size = POISON_SIZE;
        total = POISON_SIZE;
        Arrays.fill(keys, POISON_KEY);
        Arrays.fill(kids, null);
    }

    @Override
    protected String describe() {
        return (leaf ? "leaf" : "inner") + " node, inc " + incarnation();
    }
}
