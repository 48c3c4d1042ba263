package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link SortedStore} on a sorted map that writes down each write reaching it, as the changelog
 * of a Kafka Streams store would get a record for each, and each point read.
 */
final class RecordingSortedStore implements SortedStore {

  /** One write: a put, or a deletion (a tombstone on RocksDB and on the changelog). */
  record Write(boolean deletion, byte[] key) {
    @Override
    public String toString() {
      return (deletion ? "delete " : "put ") + Arrays.toString(key);
    }
  }

  private final InMemorySortedStore store = InMemorySortedStore.withSectionBounds();
  final List<Write> writes = new ArrayList<>();

  /** The keys of the point reads reaching it. */
  final List<byte[]> reads = new ArrayList<>();

  @Override
  public byte[] get(byte[] key) {
    reads.add(key.clone());
    return store.get(key);
  }

  @Override
  public void put(byte[] key, byte[] value) {
    writes.add(new Write(false, key.clone()));
    store.put(key, value);
  }

  @Override
  public void delete(byte[] key) {
    writes.add(new Write(true, key.clone()));
    store.delete(key);
  }

  @Override
  public List<Entry> scan(byte[] prefix, int limit) {
    return store.scan(prefix, limit);
  }

  @Override
  public List<Entry> range(byte[] from, byte[] toExclusive, int limit) {
    return store.range(from, toExclusive, limit);
  }

  /** The writes so far as text ("put [1, 2]", "delete [3]"), and forgets them. */
  List<String> take() {
    List<String> taken = writes.stream().map(Write::toString).toList();
    writes.clear();
    return taken;
  }
}
