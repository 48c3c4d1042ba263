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

  void delete(byte[] key);

  /** Up to {@code limit} entries whose key starts with {@code prefix}, in key order. */
  List<Entry> scan(byte[] prefix, int limit);

  /** Up to {@code limit} entries with {@code from <= key < to}, in key order. */
  List<Entry> range(byte[] from, byte[] toExclusive, int limit);
}
