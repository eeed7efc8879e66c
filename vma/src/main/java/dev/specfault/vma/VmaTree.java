package dev.specfault.vma;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuBug;
import dev.specfault.srcu.SrcuDomain;
import dev.specfault.srcu.pool.PoisoningPool;
import dev.specfault.srcu.pool.PoolStats;
import dev.specfault.srcu.pool.UseAfterFreeLog;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The speculative design's VMA tree: lock-free, wait-free lookups inside an SRCU read section, and
 * writers (serialized by the address space's mmap lock) that replace any set of records by another
 * in <em>one</em> store.
 *
 * <h2>Idea</h2>
 * A copy-on-write B+tree of {@link Vma} records keyed by end address, fanout 16 (at
 * least half full except the root), published by a single root pointer. A writer builds the new
 * version off to the side, copying only the nodes on the paths it changes (a node made by the
 * current batch is changed in place until publication, as Clojure's transients do, so a batch of k
 * changes copies each node at most once); it then stores the new root with release. A reader loads
 * the root with acquire and walks an immutable snapshot: no locks, no retries, no CAS, a bounded
 * number of steps (the height), so lookups are wait-free. Replaced nodes and records are retired
 * through SRCU ({@code call_srcu}) and poisoned by their pools after a grace period.
 *
 * <pre>
 *   root ──▶ [ 0x3000 | 0x9000 | 0x7fff0000 ]            inner: key = highest end below each kid
 *              │         │         │
 *              ▼         ▼         ▼
 *          [v0|v1]   [v2|v3|v4]  [v5|...]                leaf: key = kid.end(), kid = Vma
 *
 *   writer:  new leaf' ◀── new inner' ◀── new root'      (copies of the path; siblings shared)
 *            one release store: root = root'             (the whole batch appears at once)
 * </pre>
 *
 * <h2>Why this structure (against the two anchors)</h2>
 * <ul>
 *   <li><b>Bonsai</b> (Clements, Kaashoek, Zeldovich, ASPLOS 2012: a path-copying balanced binary tree
 *   published by one root swap). Same publication rule and the same wait-free readers, but one entry
 *   per node: a lookup chases about 1.4·log2(n) pointers (≈ 20 at 64K VMAs, most of them cache
 *   misses) and a write allocates and later retires as many single-entry nodes. Our fanout-16 nodes
 *   cut the height to 4 at 64K (at most 1 + log8(n/2) levels, see {@link #height()}), and each level's
 *   keys are contiguous in one 136-byte array.</li>
 *   <li><b>Linux's maple tree</b> (an RCU B-tree of ranges, 256-byte nodes, fanout 10–16). Same node
 *   shape, but it updates some nodes in place under RCU and marks replaced nodes dead, so a walker
 *   that meets a dead node restarts from the root: lock-free, not wait-free, and a multi-node store
 *   (a "spanning store") needs a rebuild to stay atomic. It also keeps the largest gap of every
 *   subtree, which makes {@code get_unmapped_area} O(log n); ours does not (placement walks the gaps,
 *   see {@link LayoutPlanner#unmappedTopDown}). We give up in-place updates (a write copies ~height
 *   nodes) for a walk that never restarts and a batch of any size published by one store.</li>
 * </ul>
 *
 * <h2>Writer protocol (DESIGN.md "The speculative design", steps 2–6)</h2>
 * <pre>
 *   Batch b = tree.prepare(plan);  // new records and new nodes, off to the side; nothing visible
 *   b.markDead();                  // every replaced record dead, still in the tree (full fence)
 *   ... the caller zaps / write-protects PTEs and flushes TLBs ...
 *   b.publish();                   // ONE release store of the new root
 *   b.retire();                    // replaced records and nodes through call_srcu
 * </pre>
 * Non-replacing writers use {@link #beginWrite(Vma)} / {@link #endWrite(Vma)} instead.
 *
 * <h2>Linearization points</h2>
 * A batch: the release store of the new root in {@link Batch#publish()}. A lookup: its acquire load
 * of the root; it returns what that snapshot holds. A record's death: the volatile store in
 * {@link Vma#markDead()}.
 *
 * <h2>Use after free</h2>
 * A reader that finds a poisoned node (size -1, a null kid) or record (start
 * {@link Vma#POISON_ADDR}) reports it to the {@link UseAfterFreeLog} and throws
 * {@link UseAfterFreeException}. A record's later reuse is caught by the caller's incarnation check
 * ({@link #validate}); a node's reuse after the pool's quarantine is not checked by lookups (a
 * per-node incarnation check would cost every lookup; the quarantine keeps poison in place for the
 * next {@code quarantine} reclamations).
 *
 * <h2>Notation</h2>
 * {@code n}: a node; {@code m}: a fresh (mutable) node; {@code v}: a record; {@code i}: an index in a
 * node; {@code t}: the writer's {@link Txn}.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after construction
 *   [a] atomic, VarHandle; mode in the accessor's name
 *   [m] the tree's writer: the thread that holds the address space's mmap lock for writing and owns
 *       the open batch (asserted through {@code writer})
 * </pre>
 */
public final class VmaTree {
    private final SrcuDomain domain;                     // [I]
    private final PoisoningPool<Vma> vmaPool;            // [I]
    private final PoisoningPool<Node> nodePool;          // [I]
    private final UseAfterFreeLog log;                   // [I]
    private final Set<VmaBug> bugs;                      // [I]
    private final boolean bugTwoStores;                  // [I]
    private final boolean bugSkipMarkDead;               // [I]
    /** The published root: never null (an empty tree is an empty leaf). [a] store release, load acquire */
    private Node root;
    /** The thread with an open batch, or null. [a] */
    private Thread writer;
    /** Batches prepared so far; a node is fresh while its {@code batch} equals the current one. [m] */
    private long batchSeq;
    /** Root stores so far. [m] written, read plain by statistics */
    private long publications;
    /**
     * Test hook: runs in {@link Batch#publish()} just before the store of the new root (after the
     * first store when the seeded PUBLISH_TWO_STORES splits it in two), so that a deterministic
     * scenario can look up what a reader would see there. [m] set by tests before they write
     */
    private Runnable beforeFinalStore;

    private static final VarHandle ROOT;
    private static final VarHandle WRITER;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            ROOT = l.findVarHandle(VmaTree.class, "root", Node.class);
            WRITER = l.findVarHandle(VmaTree.class, "writer", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private VmaTree(Builder b) {
        this.domain = b.domain;
        this.log = b.log;
        this.bugs = b.bugs.isEmpty() ? EnumSet.noneOf(VmaBug.class) : EnumSet.copyOf(b.bugs);
        this.bugTwoStores = bugs.contains(VmaBug.PUBLISH_TWO_STORES);
        this.bugSkipMarkDead = bugs.contains(VmaBug.SKIP_MARK_DEAD);
        // Seeded NODE_FREE_NO_GRACE (both pools) and RECORD_FREE_NO_GRACE (the records' pool only):
        // the pool reclaims through a domain of its own whose grace periods do not wait and run
        // inline, so a retired object is poisoned before retire returns, while readers of this
        // tree's domain may still be inside.
        final boolean nodesEarly = bugs.contains(VmaBug.NODE_FREE_NO_GRACE);
        final boolean recordsEarly = nodesEarly || bugs.contains(VmaBug.RECORD_FREE_NO_GRACE);
        final SrcuDomain noGrace = recordsEarly
                ? SrcuDomain.builder(domain.name() + "-no-grace").driver(GracePeriodDriver.inline())
                        .bugs(EnumSet.of(SrcuBug.GRACE_PERIOD_NO_WAIT)).build()
                : domain;
        this.vmaPool = PoisoningPool.builder("vma", recordsEarly ? noGrace : domain, Vma::new).log(log)
                .quarantine(b.quarantine).poisoning(b.poisoning).build();
        this.nodePool = PoisoningPool.builder("vma-node", nodesEarly ? noGrace : domain, Node::new).log(log)
                .quarantine(b.quarantine).poisoning(b.poisoning).build();
        final Node empty = nodePool.allocate();
        empty.reset(true, 0);
        setRootRelease(empty);
    }

    /** A builder: poisoning on, quarantine 64, a new use-after-free log, no seeded bug. */
    public static Builder builder(SrcuDomain domain) {
        return new Builder(domain);
    }

    /** Builds a tree. */
    public static final class Builder {
        private final SrcuDomain domain;
        private UseAfterFreeLog log = new UseAfterFreeLog();
        private int quarantine = 64;
        private boolean poisoning = true;
        private final EnumSet<VmaBug> bugs = EnumSet.noneOf(VmaBug.class);

        private Builder(SrcuDomain domain) {
            this.domain = Objects.requireNonNull(domain, "domain");
        }

        /** Where use-after-free detections go (share the address space's). */
        public Builder log(UseAfterFreeLog l) {
            this.log = Objects.requireNonNull(l, "log");
            return this;
        }

        /** Pool quarantine: how many poisoned objects wait before reuse. */
        public Builder quarantine(int n) {
            this.quarantine = n;
            return this;
        }

        /** Whether reclaimed records and nodes are poisoned (detection) or only recycled. */
        public Builder poisoning(boolean on) {
            this.poisoning = on;
            return this;
        }

        /** Turns on seeded bugs (tests and --inject only). */
        public Builder bugs(Set<VmaBug> seeded) {
            this.bugs.addAll(seeded);
            return this;
        }

        public VmaTree build() {
            return new VmaTree(this);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Accessors

    private Node rootAcquire() {
        return (Node) ROOT.getAcquire(this);
    }

    /** => [m]: the writer reads the root it published itself. */
    private Node rootPlain() {
        return (Node) ROOT.get(this);
    }

    /** => [m]. Release: every field of the new nodes and records is written before they are reachable. */
    private void setRootRelease(Node r) {
        ROOT.setRelease(this, r);
    }

    private Thread writerOpaque() {
        return (Thread) WRITER.getOpaque(this);
    }

    private boolean casWriter(Thread expect, Thread update) {
        return WRITER.compareAndSet(this, expect, update);
    }

    private void setWriterRelease(Thread t) {
        WRITER.setRelease(this, t);
    }

    /** For assertions: a lookup runs inside a read section, or is the writer's own. */
    private boolean readerContextOk() {
        return domain.inReadSection() || writerOpaque() == Thread.currentThread() || writerOpaque() == null;
    }

    // ----------------------------------------------------------------------------------------
    // Lookups: => inside a read section of the tree's domain (or the mmap-lock holder). Wait-free:
    // at most height() nodes, no loop that can repeat.

    /** The first record whose end is above {@code addr} (Linux {@code find_vma}), or null. */
    public Vma find(long addr) {
        assert readerContextOk() : "VmaTree lookup outside a read section";
        return findIn(rootAcquire(), addr);
    }

    /** The record containing {@code addr}, or null. */
    public Vma lookup(long addr) {
        final Vma v = find(addr);
        if (v == null) {
            return null;
        }
        final long s = v.start();
        if (s <= addr) {
            return v;
        }
        if (s == Vma.POISON_ADDR) {
            throw uaf(v.toString(), "record");
        }
        return null;
    }

    /** The record just below {@code v}'s start, or null. */
    public Vma prev(Vma v) {
        return lastEndingBy(rootAcquire(), v.start());
    }

    /** The record just above {@code v}, or null. */
    public Vma next(Vma v) {
        return findIn(rootAcquire(), v.end());
    }

    /** The lowest record, or null. */
    public Vma first() {
        Node n = rootAcquire();
        for (;;) {
            final int sz = checkedSize(n);
            if (sz == 0) {
                return null;
            }
            final Object k = kid(n, 0);
            if (n.leaf) {
                return (Vma) k;
            }
            n = (Node) k;
        }
    }

    /** The highest record, or null. */
    public Vma last() {
        return rightmost(rootAcquire());
    }

    /** Calls {@code action} for every record overlapping {@code [start, end)}, in address order. */
    public void forEachOverlapping(long start, long end, Consumer<Vma> action) {
        if (start >= end) {
            return;
        }
        // A path from the root: nodes and the index taken in each. Height is at most ~20 for any
        // count an int can hold (fanout >= 8 below the root).
        final Node[] path = new Node[24];
        final int[] at = new int[24];
        int depth = 0;
        Node n = rootAcquire();
        for (;;) {
            final int sz = checkedSize(n);
            final int i = firstAbove(n.keys, sz, start);
            if (i == sz) {
                if (depth == 0) {
                    return;
                }
                throw uaf(n.describe(), "node (no key above a parent's key)");
            }
            path[depth] = n;
            at[depth] = i;
            if (n.leaf) {
                break;
            }
            depth++;
            n = (Node) kid(n, i);
        }
        for (;;) {
            final Node leaf = path[depth];
            final int sz = checkedSize(leaf);
            for (int i = at[depth]; i < sz; i++) {
                final Vma v = (Vma) kid(leaf, i);
                if (v.start() >= end) {
                    return;
                }
                action.accept(v);
            }
            // Up to the first ancestor with a kid to the right, then down its leftmost path.
            int d = depth - 1;
            while (d >= 0 && at[d] + 1 >= checkedSize(path[d])) {
                d--;
            }
            if (d < 0) {
                return;
            }
            at[d]++;
            Node c = (Node) kid(path[d], at[d]);
            for (int e = d + 1; e <= depth; e++) {
                path[e] = c;
                at[e] = 0;
                if (e < depth) {
                    checkedSize(c);
                    c = (Node) kid(c, 0);
                }
            }
        }
    }

    /** The records overlapping {@code [start, end)}, in address order. */
    public List<Vma> overlapping(long start, long end) {
        final List<Vma> l = new ArrayList<>();
        forEachOverlapping(start, end, l::add);
        return l;
    }

    /** How many records (Linux {@code map_count}), as of the current root. */
    public int count() {
        return rootAcquire().total;
    }

    /** Levels from the root to the leaves (1 for a single leaf): at most 1 + log8(count / 2). */
    public int height() {
        int h = 1;
        Node n = rootAcquire();
        while (!n.leaf) {
            checkedSize(n);
            n = (Node) kid(n, 0);
            h++;
        }
        return h;
    }

    /**
     * A view for {@link LayoutPlanner}: the records' areas. Every call reads the current root; the
     * writer (mmap lock) sees a stable tree, a reader must stay in its read section while it uses it.
     */
    public AreaIndex asAreaIndex() {
        return view;
    }

    private final AreaIndex view = new AreaIndex() {
        @Override
        public Area find(long addr) {
            return area(VmaTree.this.find(addr));
        }

        @Override
        public Area lookup(long addr) {
            return area(VmaTree.this.lookup(addr));
        }

        @Override
        public Area prev(Area a) {
            return area(lastEndingBy(rootAcquire(), a.start()));
        }

        @Override
        public Area next(Area a) {
            return area(findIn(rootAcquire(), a.end()));
        }

        @Override
        public Area first() {
            return area(VmaTree.this.first());
        }

        @Override
        public Area last() {
            return area(VmaTree.this.last());
        }

        @Override
        public void forEachOverlapping(long start, long end, Consumer<Area> action) {
            VmaTree.this.forEachOverlapping(start, end, v -> action.accept(v.area()));
        }

        @Override
        public int count() {
            return VmaTree.this.count();
        }

        private Area area(Vma v) {
            return v == null ? null : v.area();
        }
    };

    /**
     * Reader side: checks that {@code v}, read at {@code incarnation}, was neither reclaimed nor
     * reused while the caller read it; reports a use-after-free to the log if it was.
     */
    public boolean validate(Vma v, long incarnation) {
        return vmaPool.validate(v, incarnation, "start", v.start());
    }

    // ----------------------------------------------------------------------------------------
    // The walk

    /**
     * First index in {@code k[0, sz)} whose key is above {@code addr}; {@code sz} if none. Branch-free
     * binary search: the loop's trip count depends only on {@code sz}, and the step is a conditional
     * move, so a lookup does not pay a misprediction per level.
     */
    static int firstAbove(long[] k, int sz, long addr) {
        if (sz == 0) {
            return 0;
        }
        int base = 0;
        int n = sz;
        while (n > 1) {
            final int half = n >>> 1;
            base = k[base + half - 1] <= addr ? base + half : base;
            n -= half;
        }
        return k[base] <= addr ? base + 1 : base;
    }

    /** A node's size, read once; a poisoned node is a use after free. */
    private int checkedSize(Node n) {
        final int sz = n.size;
        if (sz < 0) {
            throw uaf(n.describe(), "node");
        }
        return sz;
    }

    /** Kid {@code i}; a null kid (poison) is a use after free. */
    private Object kid(Node n, int i) {
        final Object k = n.kids[i];
        if (k == null) {
            throw uaf(n.describe(), "node (null kid)");
        }
        return k;
    }

    private UseAfterFreeException uaf(String what, String kind) {
        final String msg = "use after free in VmaTree: a reader reached a reclaimed " + kind + " (" + what
                + ") [thread " + Thread.currentThread().getName() + "]";
        log.report(msg);
        return new UseAfterFreeException(msg);
    }

    private Vma findIn(Node n, long addr) {
        for (;;) {
            final int sz = checkedSize(n);
            final int i = firstAbove(n.keys, sz, addr);
            if (i == sz) {
                // Only the root can say "nothing above": every deeper node holds its parent's key.
                return null;
            }
            final Object k = kid(n, i);
            if (n.leaf) {
                return (Vma) k;
            }
            n = (Node) k;
        }
    }

    /** The last record whose end is at or below {@code addr}, or null. */
    private Vma lastEndingBy(Node n, long addr) {
        Node fallback = null; // a subtree left of the path whose rightmost record is the answer so far
        for (;;) {
            final int sz = checkedSize(n);
            final int i = firstAbove(n.keys, sz, addr);
            if (n.leaf) {
                if (i > 0) {
                    return (Vma) kid(n, i - 1);
                }
                return fallback == null ? null : rightmost(fallback);
            }
            if (i == sz) {
                return sz == 0 ? null : rightmost((Node) kid(n, sz - 1));
            }
            if (i > 0) {
                fallback = (Node) kid(n, i - 1);
            }
            n = (Node) kid(n, i);
        }
    }

    private Vma rightmost(Node n) {
        for (;;) {
            final int sz = checkedSize(n);
            if (sz == 0) {
                return null;
            }
            final Object k = kid(n, sz - 1);
            if (n.leaf) {
                return (Vma) k;
            }
            n = (Node) k;
        }
    }

    // ----------------------------------------------------------------------------------------
    // Writers

    /**
     * Builds the records and nodes that apply {@code plan}, off to the side: nothing is visible to
     * readers until {@link Batch#publish()}. Opens the tree's one batch.
     * => the mmap lock is held for writing; no other batch is open.
     *
     * @throws IllegalStateException    if another batch is open
     * @throws IllegalArgumentException if a removed area is not in the tree as the plan has it (a
     *                                  plan made from another state); no batch is then open
     */
    public Batch prepare(LayoutPlan plan) {
        final Thread me = Thread.currentThread();
        if (!casWriter(null, me)) {
            throw new IllegalStateException("VmaTree: a batch is already open (by " + writerOpaque() + ")");
        }
        final Node r0 = rootPlain();
        final List<Vma> removed = new ArrayList<>(plan.removed().size());
        // Indexed loops here: this runs for every mmap and munmap, and the plan's lists are List.of.
        for (int i = 0; i < plan.removed().size(); i++) {
            final Area a = plan.removed().get(i);
            final Vma v = findIn(r0, a.start());
            if (v == null || !a.equals(v.area())) {
                setWriterRelease(null);
                throw new IllegalArgumentException("stale plan: " + a + " is not in the tree (found " + v + ")");
            }
            removed.add(v);
        }
        final List<Vma> added = new ArrayList<>(plan.added().size());
        for (int i = 0; i < plan.added().size(); i++) {
            final Area a = plan.added().get(i);
            final Vma v = vmaPool.allocate();
            v.init(a);
            added.add(v);
        }
        if (removed.isEmpty() && added.isEmpty()) {
            return new Batch(removed, added, null, r0, new Txn(++batchSeq));
        }
        final int total = r0.total;
        Txn t = new Txn(++batchSeq);
        Node r = r0;
        for (int i = 0; i < removed.size(); i++) {
            r = t.delete(r, removed.get(i));
        }
        Node mid = null;
        if (bugTwoStores && !removed.isEmpty() && !added.isEmpty()) {
            // Seeded bug: the first of two stores publishes the tree without the removed records.
            mid = t.finish(r, total - removed.size());
            t = t.nextGeneration(++batchSeq);
        }
        for (int i = 0; i < added.size(); i++) {
            r = t.insert(r, added.get(i));
        }
        r = t.finish(r, total - removed.size() + added.size());
        return new Batch(removed, added, mid, r, t);
    }

    /**
     * Makes {@code v}'s write sequence odd: a non-replacing writer (fork's write-protect, madvise) is
     * about to change page-table entries under it.
     * => the mmap lock is held for writing; {@code v} is live and in the tree.
     */
    public void beginWrite(Vma v) {
        assert !v.isDead() : "beginWrite on a dead record " + v;
        assert findIn(rootPlain(), v.start()) == v : "beginWrite on a record not in the tree " + v;
        v.beginWrite();
    }

    /** Makes {@code v}'s write sequence even again. => the mmap lock is held for writing. */
    public void endWrite(Vma v) {
        v.endWrite();
    }

    /**
     * Retires the (empty) tree's last node: after exit has unmapped everything and this, the pools
     * drain to their idle size once the domain's callbacks have run (P6). The tree is unusable after.
     * => the mmap lock is held for writing; no batch is open; the tree is empty.
     */
    public void destroy() {
        if (!casWriter(null, Thread.currentThread())) {
            throw new IllegalStateException("VmaTree.destroy with a batch open");
        }
        final Node r = rootPlain();
        if (r.total != 0 || r.size != 0) {
            setWriterRelease(null);
            throw new IllegalStateException("VmaTree.destroy of a tree with " + r.total + " records");
        }
        // An empty leaf of its own, never pooled, published before the old root goes: a reader that
        // starts after this (areas() of an exited space) is not covered by the old root's grace
        // period, and walked the poisoned node (found in review, 2026-11-30).
        final Node gone = new Node();
        gone.reset(true, 0);
        setRootRelease(gone);
        nodePool.retire(r);
        // The writer word stays taken: no batch can open on a destroyed tree.
    }

    /**
     * One writer's change, from {@link #prepare} to {@link #retire}: markDead → (caller's page-table
     * work) → publish → retire, in that order, by the thread that prepared it.
     *
     * <pre>
     * Locks used to protect members: [m] the preparing thread (mmap lock), every field
     * </pre>
     */
    public final class Batch {
        private static final int PREPARED = 0;
        private static final int DEAD = 1;
        private static final int PUBLISHED = 2;
        private static final int CLOSED = 3;

        private final List<Vma> removed;   // [m]
        private final List<Vma> added;     // [m]
        private final Node mid;            // [m] seeded PUBLISH_TWO_STORES only
        private final Node newRoot;        // [m]
        private final Txn txn;             // [m]
        private int phase = PREPARED;      // [m]

        private Batch(List<Vma> removed, List<Vma> added, Node mid, Node newRoot, Txn txn) {
            this.removed = Collections.unmodifiableList(removed);
            this.added = Collections.unmodifiableList(added);
            this.mid = mid;
            this.newRoot = newRoot;
            this.txn = txn;
        }

        /** The live records the batch replaces, in address order. */
        public List<Vma> removedRecords() {
            return removed;
        }

        /** The new records, in address order; unpublished until {@link #publish()}. */
        public List<Vma> addedRecords() {
            return added;
        }

        /**
         * Marks every replaced record dead while it is still in the tree. Call it before changing
         * any page-table entry of their ranges.
         */
        public void markDead() {
            step(PREPARED, DEAD, "markDead");
            if (bugSkipMarkDead) {
                return; // seeded bug: faults that found a replaced record still validate it as live
            }
            for (Vma v : removed) {
                v.markDead();
            }
        }

        /**
         * Publishes the new tree in one release store: a lookup sees either every replaced record or
         * every new one, never a hole between them. => {@link #markDead()} was called.
         */
        public void publish() {
            step(DEAD, PUBLISHED, "publish");
            if (mid != null) {
                setRootRelease(mid); // seeded bug: a hole is visible until the next store
                publications++;
                Thread.yield();
            }
            final Runnable hook = beforeFinalStore;
            if (hook != null) {
                hook.run();
            }
            if (newRoot != rootPlain()) {
                setRootRelease(newRoot);
                publications++;
            }
        }

        /**
         * Retires the replaced records and nodes through the domain's {@code call_srcu}: they are
         * poisoned after every read section that could have found them has ended. Closes the batch.
         */
        public void retire() {
            step(PUBLISHED, CLOSED, "retire");
            // One call_srcu per pool for the whole batch (not one per object): a batch costs at most
            // two queued callbacks and one wake-up of the grace-period driver.
            vmaPool.retireAll(removed);
            if (txn.dropped.isEmpty()) {
                nodePool.retireAll(txn.replaced);
            } else {
                final List<Node> nodes = new ArrayList<>(txn.replaced.size() + txn.dropped.size());
                nodes.addAll(txn.replaced);
                nodes.addAll(txn.dropped);
                nodePool.retireAll(nodes);
            }
            setWriterRelease(null);
        }

        /**
         * Gives up a batch that was prepared but not marked dead (for example, the map count limit
         * was found exceeded): its new records and nodes, never published, go back to their pools.
         */
        public void abandon() {
            step(PREPARED, CLOSED, "abandon");
            vmaPool.retireAll(added);
            nodePool.retireAll(txn.created);
            setWriterRelease(null);
        }

        private void step(int from, int to, String what) {
            if (writerOpaque() != Thread.currentThread()) {
                throw new IllegalStateException("Batch." + what + " by a thread that does not own the batch");
            }
            if (phase != from) {
                throw new IllegalStateException("Batch." + what + " out of order (phase " + phase + ")");
            }
            phase = to;
        }

        @Override
        public String toString() {
            return "Batch[-" + removed.size() + " +" + added.size() + ", phase " + phase + "]";
        }
    }

    /**
     * The copy-on-write B+tree operations of one batch. A node whose {@code batch} is this txn's id
     * is fresh: made by this batch, unpublished, changed in place.
     */
    private final class Txn {
        private final long id;
        /** Published nodes this batch copied or dropped: retired after publication. */
        final List<Node> replaced;
        /** Fresh nodes dropped before publication (merged away, collapsed roots). */
        final List<Node> dropped;
        /** Every node this batch made (for abandon). */
        final List<Node> created;
        /** The right half of the last split, handed from a call to its caller. */
        private Node split;

        Txn(long id) {
            this(id, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }

        private Txn(long id, List<Node> replaced, List<Node> dropped, List<Node> created) {
            this.id = id;
            this.replaced = replaced;
            this.dropped = dropped;
            this.created = created;
        }

        /** Seeded PUBLISH_TWO_STORES: what this txn made is about to be published; stop changing it. */
        Txn nextGeneration(long nextId) {
            return new Txn(nextId, replaced, dropped, created);
        }

        private Node alloc(boolean leaf) {
            final Node m = nodePool.allocate();
            m.reset(leaf, id);
            created.add(m);
            return m;
        }

        /** {@code n} itself if fresh, else a fresh copy (and {@code n} is retired after publication). */
        private Node mutable(Node n) {
            if (n.batch == id) {
                return n;
            }
            final Node m = alloc(n.leaf);
            m.copyFrom(n);
            replaced.add(n);
            return m;
        }

        /** {@code n} leaves the tree. */
        private void drop(Node n) {
            if (n.batch == id) {
                dropped.add(n);
            } else {
                replaced.add(n);
            }
        }

        /** The root of the finished version, fresh, with the record count. */
        Node finish(Node r, int total) {
            final Node m = mutable(r);
            m.total = total;
            return m;
        }

        Node insert(Node r, Vma v) {
            final Node m = insertIn(r, v);
            final Node s = split;
            split = null;
            if (s == null) {
                return m;
            }
            final Node top = alloc(false);
            top.insertAt(0, m.maxKey(), m);
            top.insertAt(1, s.maxKey(), s);
            return top;
        }

        private Node insertIn(Node n, Vma v) {
            final long key = v.end();
            if (n.leaf) {
                final Node m = mutable(n);
                final int i = firstAbove(m.keys, m.size, v.start());
                assert i == 0 || m.keys[i - 1] <= v.start() : "overlap below " + v;
                assert i == m.size || ((Vma) m.kids[i]).start() >= key : "overlap above " + v;
                m.insertAt(i, key, v);
                split = m.size > Node.MAX ? splitOff(m) : null;
                return m;
            }
            int i = firstAbove(n.keys, n.size, v.start());
            if (i == n.size) {
                i = n.size - 1; // above everything: into the last subtree
            }
            final Node m = mutable(n);
            final Node c = insertIn((Node) m.kids[i], v);
            final Node s = split;
            m.kids[i] = c;
            m.keys[i] = c.maxKey();
            if (s != null) {
                m.insertAt(i + 1, s.maxKey(), s);
            }
            split = m.size > Node.MAX ? splitOff(m) : null;
            return m;
        }

        /** => m fresh and overfull. Moves its upper half to a new node, returned. */
        private Node splitOff(Node m) {
            final Node right = alloc(m.leaf);
            m.moveTail((m.size + 1) / 2, right);
            return right;
        }

        Node delete(Node r, Vma v) {
            Node m = deleteIn(r, v);
            while (!m.leaf && m.size == 1) {
                final Node only = (Node) m.kids[0];
                drop(m); // m is fresh: deleteIn made it
                m = only;
            }
            return m;
        }

        private Node deleteIn(Node n, Vma v) {
            final int i = firstAbove(n.keys, n.size, v.start());
            if (i == n.size) {
                throw new IllegalStateException("VmaTree: " + v + " is not in the tree");
            }
            final Node m = mutable(n);
            if (m.leaf) {
                if (m.kids[i] != v) {
                    throw new IllegalStateException("VmaTree: " + v + " is not in the tree (found " + m.kids[i] + ")");
                }
                m.removeAt(i);
                return m;
            }
            final Node c = deleteIn((Node) m.kids[i], v);
            m.kids[i] = c;
            if (c.size >= Node.MIN) {
                m.keys[i] = c.maxKey();
            } else {
                rebalance(m, i);
            }
            return m;
        }

        /** => m fresh; its kid i is fresh and one below the minimum. Borrows from or merges with a sibling. */
        private void rebalance(Node m, int i) {
            final Node c = (Node) m.kids[i];
            if (i > 0) {
                final Node left = (Node) m.kids[i - 1];
                final Node l = mutable(left);
                m.kids[i - 1] = l;
                if (l.size > Node.MIN) {
                    final int last = l.size - 1;
                    c.insertAt(0, l.keys[last], l.kids[last]);
                    l.removeAt(last);
                    m.keys[i - 1] = l.maxKey();
                    m.keys[i] = c.maxKey();
                } else {
                    l.appendAll(c);
                    m.keys[i - 1] = l.maxKey();
                    m.removeAt(i);
                    drop(c);
                }
            } else {
                final Node right = (Node) m.kids[1];
                if (right.size > Node.MIN) {
                    final Node r = mutable(right);
                    m.kids[1] = r;
                    c.insertAt(c.size, r.keys[0], r.kids[0]);
                    r.removeAt(0);
                    m.keys[0] = c.maxKey();
                    m.keys[1] = r.maxKey();
                } else {
                    c.appendAll(right);
                    m.keys[0] = c.maxKey();
                    m.removeAt(1);
                    drop(right);
                }
            }
        }
    }

    /** Test hook: see {@link #beforeFinalStore}. => no batch open. */
    void testHookBeforeFinalStore(Runnable hook) {
        beforeFinalStore = hook;
    }

    // ----------------------------------------------------------------------------------------
    // Observability

    public SrcuDomain domain() {
        return domain;
    }

    public UseAfterFreeLog useAfterFreeLog() {
        return log;
    }

    /** The seeded bugs this tree was built with. */
    public Set<VmaBug> bugs() {
        return bugs.isEmpty() ? EnumSet.noneOf(VmaBug.class) : EnumSet.copyOf(bugs);
    }

    public PoolStats recordPoolStats() {
        return vmaPool.stats();
    }

    public PoolStats nodePoolStats() {
        return nodePool.stats();
    }

    /** Root stores so far. => the mmap lock, or a quiet tree. */
    public long publications() {
        return publications;
    }

    @Override
    public String toString() {
        return "VmaTree[" + count() + " records, height " + height() + (bugs.isEmpty() ? "" : ", bugs=" + bugs) + "]";
    }
}
