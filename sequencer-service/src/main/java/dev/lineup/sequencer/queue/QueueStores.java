package dev.lineup.sequencer.queue;

/**
 * The sorted stores behind the queues of one sequencer task. Payloads are written once per activity
 * and kept apart from the small index entries, so reordering, cancelling or releasing never
 * rewrites a payload and no event costs more as a host's queue grows.
 *
 * <p>In the service they are sections of one physical store ({@link #sectionsOf}): a transaction
 * then touches one changelog partition per task instead of ten, and a task runs one RocksDB
 * instance instead of ten.
 *
 * @param hosts host id to its lanes and pause flag
 * @param activities activity id to its place in the queue (small)
 * @param payloads activity id to the activity as enqueued (written once)
 * @param ready ready activities of each host lane, in release order
 * @param upcoming every upcoming activity of each host, in acceptance order
 * @param released every released activity of each host (any lane, bypass included)
 * @param deadlines what must happen when, in time order
 * @param dependents which activities wait for which
 * @param dedupe the upcoming activity holding each host's dedupe key
 * @param budgetWaits host lanes whose next release waits for the system release budget
 * @param cancellations selector cancels still under way, with their progress ({@link
 *     PendingCancellations})
 */
public record QueueStores(
    SortedStore hosts,
    SortedStore activities,
    SortedStore payloads,
    SortedStore ready,
    SortedStore upcoming,
    SortedStore released,
    SortedStore deadlines,
    SortedStore dependents,
    SortedStore dedupe,
    SortedStore budgetWaits,
    SortedStore cancellations) {

  /**
   * The stores as sections of {@code whole}, each behind its one-byte tag. The tags are part of the
   * stored layout: never renumber one, and give a new section the next free tag.
   */
  public static QueueStores sectionsOf(SortedStore whole) {
    return new QueueStores(
        new SectionedStore(whole, (byte) 1),
        new SectionedStore(whole, (byte) 2),
        new SectionedStore(whole, (byte) 3),
        new SectionedStore(whole, (byte) 4),
        new SectionedStore(whole, (byte) 5),
        new SectionedStore(whole, (byte) 6),
        new SectionedStore(whole, (byte) 7),
        new SectionedStore(whole, (byte) 8),
        new SectionedStore(whole, (byte) 9),
        new SectionedStore(whole, (byte) 10),
        new SectionedStore(whole, (byte) 11));
  }

  /**
   * Writes the sections' bounds into {@code whole} where they are missing; the task that owns the
   * store calls it before its first read (see {@link SectionedStore}).
   */
  public static void writeSectionBounds(SortedStore whole) {
    SectionedStore.writeBounds(whole, 1, 11);
  }
}
