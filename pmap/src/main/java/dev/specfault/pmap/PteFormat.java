package dev.specfault.pmap;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One architecture's page-table entry format: how software builds, reads and changes entries.
 * Every method works on a value the caller read once into a local; nothing here touches memory.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><em>present</em>: the hardware will use the entry (x86 P, arm64 valid).</li>
 *   <li><em>maps a frame</em>: present, or a PROT_NONE leaf that keeps its frame while the hardware
 *   sees it as not present (Linux {@code _PAGE_PROTNONE} / {@code PTE_PROT_NONE}).</li>
 *   <li><em>writable</em>: the hardware may write through it without a fault that changes the
 *   rights; on arm64 an entry with DBM=1 counts as writable even while AP[2] says read-only.</li>
 *   <li><em>dirty</em>: x86 D; arm64 hardware-dirty (DBM=1 and AP[2]=0) or Linux's software dirty bit.</li>
 * </ul>
 * Software that compares entries compares {@link #maskHardwareUpdates} of both: the hardware may set
 * A/D (AF, DBM-dirty) at any time without a lock.
 */
public interface PteFormat {
    Arch arch();

    /** A non-leaf entry pointing at the table page in {@code frame}. */
    long table(long frame);

    /**
     * A 4 KiB user leaf.
     *
     * @param prot  {@link Prot#READ}, {@link Prot#WRITE}, {@link Prot#EXEC}; {@link Prot#NONE} makes a PROT_NONE leaf
     * @param flags {@link Prot#DIRTY}, {@link Prot#YOUNG}, {@link Prot#GLOBAL}
     */
    long leaf(long frame, int prot, int flags);

    boolean present(long e);

    /** Present, or a PROT_NONE leaf: the entry refers to {@link #frame}. */
    boolean mapsFrame(long e);

    boolean protNone(long e);

    /** A present non-leaf entry at {@code level} (> 1) that points to a table. */
    boolean isTable(long e, int level);

    /** The frame number of the output address. */
    long frame(long e);

    boolean writable(long e);

    boolean dirty(long e);

    boolean young(long e);

    boolean user(long e);

    boolean executable(long e);

    /** The rights of a leaf as {@link Prot} bits (READ for any present or PROT_NONE... none for the latter). */
    int prot(long e);

    /** Clears write permission, keeping dirtiness (arm64: hardware dirty moves to the software bit). */
    long wrprotect(long e);

    /** Makes the leaf writable again (arm64: DBM=1, and AP[2]=0 if already dirty). */
    long mkwrite(long e);

    long mkdirty(long e);

    long mkclean(long e);

    long mkyoung(long e);

    long mkold(long e);

    /** The entry with the bits hardware may set concurrently cleared, for comparisons. */
    long maskHardwareUpdates(long e);

    /** Whether changing {@code from} into {@code to} in place needs break-before-make (arm64). */
    boolean needsBreakBeforeMake(long from, long to);

    /**
     * The root register that points at a table tree: x86 CR3 (with CR4.PCIDE=1: the PCID in bits
     * 11:0, the root table's address in 51:12), arm64 TTBR0_EL1 (the ASID in bits 63:48, the
     * root table's address in 47:12, with TCR_EL1.A1 = 0 so that TTBR0 carries the ASID).
     *
     * @param rootFrame the root table's frame
     * @param tag       the PCID (0..4095) or ASID (0..65535)
     * @throws IllegalArgumentException if the tag or the frame does not fit its field
     */
    long rootRegister(long rootFrame, int tag);

    /** The root table's frame in a root-register value. */
    long rootFrame(long register);

    /** The PCID / ASID in a root-register value. */
    int rootTag(long register);

    /** The hardware manual's field names, in {@code pte decode} order. */
    List<String> fieldNames();

    /**
     * The names of the bits {@link #fieldNames} leave out, which {@link #decode} includes only when
     * they are not zero (and {@link #encode} takes): with them every 64-bit value round-trips.
     */
    List<String> extraFieldNames();

    /** Every field of an entry by its manual name; the frame as a number. */
    LinkedHashMap<String, Long> decode(long e);

    /**
     * An entry from field values by manual name (fields not given are 0).
     *
     * @throws IllegalArgumentException for an unknown name or a value that does not fit its field
     */
    long encode(Map<String, Long> fields);
}
