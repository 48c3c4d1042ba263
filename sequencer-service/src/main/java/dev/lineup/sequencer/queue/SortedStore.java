package dev.lineup.sequencer.queue;

import java.util.List;

/**
 * The only storage the queue rules need: byte keys kept in unsigned lexicographic order. The
 * processor backs it with Kafka Streams state stores; tests back it with a sorted map, so the same
 * rules run in both.
 */
public interface SortedStore {

  /** One stored key and value. */
  record Entry(byte[] key, byte[] value) {}

  byte[] get(byte[] key);

  void put(byte[] key, byte[] value);

  /**
   * {@link #put} of a key no stored entry has: a fresh index entry, a dedupe key found free. A
   * store that stages a step's writes ({@link StagedStore}) leaves itself untouched when the same
   * step inserts a key and deletes it again, as an activity released in the step that queued it
   * does with its upcoming and ready entries and its dedupe key. Where the key may be stored
   * already, use {@code put}: deleting it in the same step would leave the stored entry behind.
   */
  default void insert(byte[] key, byte[] value) {
    put(key, value);
  }

  void delete(byte[] key);

  /** Up to {@code limit} entries whose key starts with {@code prefix}, in key order. */
  List<Entry> scan(byte[] prefix, int limit);

  /** Up to {@code limit} entries with {@code from <= key < to}, in key order. */
  List<Entry> range(byte[] from, byte[] toExclusive, int limit);
}
