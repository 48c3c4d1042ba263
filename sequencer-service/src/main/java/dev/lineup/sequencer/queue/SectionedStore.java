package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One section of a shared {@link SortedStore}: every key is stored behind the section's one-byte
 * tag, and every read stays within it, so several logical stores live in one physical store (one
 * RocksDB instance and one changelog per task instead of one each) and still never see each other's
 * keys.
 *
 * <p>Each section starts with a bound: two keys no section uses for data, the bare tag and the tag
 * followed by one zero byte ({@link #writeBounds}). Kafka Streams' RocksDB iterators step one key
 * past the last one they return, and on RocksDB a step walks over every deletion until the next
 * live key. A read that runs off the end of its section would so walk over the following sections'
 * deletions (measured: 2.1 ms instead of 0.28 ms per event). It now stops at the next section's
 * first bound, and the step past it lands on the second, as the end of a store of its own would.
 */
final class SectionedStore implements SortedStore {

  private final SortedStore whole;
  private final byte tag;

  SectionedStore(SortedStore whole, byte tag) {
    this.whole = whole;
    this.tag = tag;
  }

  /** Writes the bounds of every section from {@code first} to {@code last + 1}, if missing. */
  static void writeBounds(SortedStore whole, int first, int last) {
    for (int tag = first; tag <= last + 1; tag++) {
      for (byte[] bound : new byte[][] {{(byte) tag}, {(byte) tag, 0}}) {
        if (whole.get(bound) == null) {
          whole.put(bound, new byte[0]);
        }
      }
    }
  }

  private static boolean isBound(byte[] key) {
    return key.length == 1 || (key.length == 2 && key[1] == 0);
  }

  @Override
  public byte[] get(byte[] key) {
    return whole.get(inSection(key));
  }

  @Override
  public void put(byte[] key, byte[] value) {
    whole.put(inSection(key), value);
  }

  @Override
  public void delete(byte[] key) {
    whole.delete(inSection(key));
  }

  @Override
  public List<Entry> scan(byte[] prefix, int limit) {
    return outOfSection(whole.scan(inSection(prefix), withBound(prefix, limit)), limit);
  }

  @Override
  public List<Entry> range(byte[] from, byte[] toExclusive, int limit) {
    return outOfSection(
        whole.range(inSection(from), inSection(toExclusive), withBound(from, limit)), limit);
  }

  private byte[] inSection(byte[] key) {
    byte[] tagged = new byte[key.length + 1];
    tagged[0] = tag;
    System.arraycopy(key, 0, tagged, 1, key.length);
    return tagged;
  }

  /** A read from the very start of the section meets its two bounds first: ask for two more. */
  private static int withBound(byte[] from, int limit) {
    return from.length <= 1 && limit < Integer.MAX_VALUE - 2 ? limit + 2 : limit;
  }

  private static List<Entry> outOfSection(List<Entry> entries, int limit) {
    List<Entry> untagged = new ArrayList<>(Math.min(entries.size(), limit));
    for (Entry e : entries) {
      if (isBound(e.key()) || untagged.size() == limit) {
        continue;
      }
      untagged.add(new Entry(Arrays.copyOfRange(e.key(), 1, e.key().length), e.value()));
    }
    return untagged;
  }
}
