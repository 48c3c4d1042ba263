package dev.lineup.sequencer.queue;

import java.util.List;
import java.util.function.BiFunction;

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

  /**
   * A payload is kept only while it can be read, until its activity's last attempt is released
   * ({@link StoredQueues#holdsPayload}); an older version kept it until the activity ended, and
   * this version, which no longer deletes it then, takes out what such a version left. Until it
   * does, no rule reads those payloads.
   */
  static final byte[] PAYLOADS_WHILE_READ = KeyParts.id("payloads-while-read");

  /** Entries a step reads, at most, for each change. */
  static final int PAGE = 1_000;

  /**
   * Each change of layout, in the order they came: the marker of its being done, and a page of it.
   */
  private static final List<Change> CHANGES =
      List.of(
          new Change(
              RELEASED_BYPASS_ONLY,
              GroupedKeys.START,
              (queues, from) -> queues.dropOrderedLanesFromReleasedIndex(from, PAGE)),
          new Change(
              PAYLOADS_WHILE_READ,
              new byte[0],
              (queues, from) -> queues.dropPayloadsNoLongerRead(from, PAGE)));

  /**
   * A change of layout that reads the store: {@code page} takes it one page on from a key, and
   * answers where the next page starts, or null once it is done.
   */
  private record Change(byte[] done, byte[] start, BiFunction<StoredQueues, byte[], byte[]> page) {

    /** Its cursor, beside its marker. */
    byte[] cursor() {
      return KeyParts.concat(done, KeyParts.id("/cursor"));
    }
  }

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
    for (Change change : CHANGES) {
      if (layout.get(change.done()) != null) {
        continue;
      }
      byte[] cursor = layout.get(change.cursor());
      byte[] next =
          change.page().apply(new StoredQueues(whole), cursor == null ? change.start() : cursor);
      if (next != null) {
        layout.put(change.cursor(), next);
        return false;
      }
      if (cursor != null) {
        layout.delete(change.cursor());
      }
      layout.put(change.done(), new byte[0]);
    }
    return true;
  }
}
