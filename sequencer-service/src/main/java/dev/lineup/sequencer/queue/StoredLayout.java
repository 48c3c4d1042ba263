package dev.lineup.sequencer.queue;

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

  /** Released index entries a step reads, at most. */
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
    if (layout.get(RELEASED_BYPASS_ONLY) != null) {
      return true;
    }
    byte[] cursor = layout.get(RELEASED_BYPASS_ONLY_CURSOR);
    byte[] next =
        new StoredQueues(whole)
            .dropOrderedLanesFromReleasedIndex(cursor == null ? GroupedKeys.START : cursor, PAGE);
    if (next != null) {
      layout.put(RELEASED_BYPASS_ONLY_CURSOR, next);
      return false;
    }
    layout.delete(RELEASED_BYPASS_ONLY_CURSOR);
    layout.put(RELEASED_BYPASS_ONLY, new byte[0]);
    return true;
  }
}
