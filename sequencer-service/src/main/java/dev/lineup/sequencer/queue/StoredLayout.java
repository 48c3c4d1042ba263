package dev.lineup.sequencer.queue;

import java.util.function.UnaryOperator;

/**
 * Brings a task's store to the layout this version reads and writes: the sections' bounds ({@link
 * Section#writeBounds}), then each change of the layout the store has not had yet, marked done by a
 * key in {@link Section#LAYOUT} so that it runs once per store, not once per task start, and comes
 * out the same on a store restored from its changelog. A change that reads the store goes a page
 * per step, its cursor kept in the layout section beside its marker: a step stays small however
 * large the store (a step's writes are held in memory, and its transaction has a timeout), and what
 * it has not reached yet must not matter to the rules meanwhile.
 */
public final class StoredLayout {

  /**
   * The released index holds bypass activities only ({@link StoredQueues#joinReleased}); what an
   * older version indexed for the ordered lanes is taken out. Until it is, the rules see an ordered
   * lane's entry only beside its holder (purge ends each activity once) or, with its activity
   * ended, pass it over.
   */
  static final byte[] RELEASED_BYPASS_ONLY = KeyParts.id("released-index-bypass-only");

  private static final byte[] RELEASED_BYPASS_ONLY_CURSOR =
      KeyParts.id("released-index-bypass-only/cursor");

  /** Every class of the ready index has its end bound ({@link ReadyIndex#end}). */
  static final byte[] READY_END_BOUNDS = KeyParts.id("ready-index-end-bounds");

  private static final byte[] READY_END_BOUNDS_CURSOR =
      KeyParts.id("ready-index-end-bounds/cursor");

  /**
   * Index keys a change reads in a step, at most; the step that finishes one change also reads the
   * next one's first page.
   */
  static final int PAGE = 1_000;

  private StoredLayout() {}

  /**
   * Takes {@code whole}, the task's one queue store, a step towards this version's layout; call it
   * before each step until it answers true, from the task's first record or punctuation on (a write
   * in {@code init} would have no record to log the change with).
   *
   * @return true once the store is in this version's layout
   */
  public static boolean prepare(SortedStore whole) {
    Section.writeBounds(whole);
    SortedStore layout = Section.LAYOUT.of(whole);
    StoredQueues queues = new StoredQueues(whole);
    return change(
            layout,
            RELEASED_BYPASS_ONLY,
            RELEASED_BYPASS_ONLY_CURSOR,
            GroupedKeys.START,
            from -> queues.dropOrderedLanesFromReleasedIndex(from, PAGE))
        && change(
            layout,
            READY_END_BOUNDS,
            READY_END_BOUNDS_CURSOR,
            new byte[0],
            from -> queues.addMissingReadyEnds(from, PAGE));
  }

  /**
   * Takes one change a page further, from its cursor (or {@code start}); {@code page} answers where
   * the next page starts, or null at the end.
   *
   * @return true once the change is done (its marker written)
   */
  private static boolean change(
      SortedStore layout, byte[] done, byte[] cursorKey, byte[] start, UnaryOperator<byte[]> page) {
    if (layout.get(done) != null) {
      return true;
    }
    byte[] cursor = layout.get(cursorKey);
    byte[] next = page.apply(cursor == null ? start : cursor);
    if (next != null) {
      layout.put(cursorKey, next);
      return false;
    }
    layout.delete(cursorKey);
    layout.put(done, new byte[0]);
    return true;
  }
}
