package dev.lineup.sequencer.stream;

import dev.lineup.sequencer.queue.SortedStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * A Kafka Streams key-value store seen as the queue's {@link SortedStore}: the task's own store in
 * the processor, or every local task's store, read-only, for interactive queries.
 */
public final class KeyValueSortedStore implements SortedStore {

  private static final BytesSerializer PREFIX = new BytesSerializer();

  private final ReadOnlyKeyValueStore<Bytes, byte[]> reads;
  private final KeyValueStore<Bytes, byte[]> writes;

  private KeyValueSortedStore(
      ReadOnlyKeyValueStore<Bytes, byte[]> reads, KeyValueStore<Bytes, byte[]> writes) {
    this.reads = reads;
    this.writes = writes;
  }

  static SortedStore of(KeyValueStore<Bytes, byte[]> store) {
    return new KeyValueSortedStore(store, store);
  }

  /** The queue store of every local task, for interactive queries: every write throws. */
  public static SortedStore queried(KafkaStreams streams) {
    ReadOnlyKeyValueStore<Bytes, byte[]> store =
        streams.store(
            StoreQueryParameters.fromNameAndType(
                SequencerTopology.QUEUE_STORE, QueryableStoreTypes.keyValueStore()));
    return new KeyValueSortedStore(store, null);
  }

  @Override
  public byte[] get(byte[] key) {
    return reads.get(Bytes.wrap(key));
  }

  @Override
  public void put(byte[] key, byte[] value) {
    writable().put(Bytes.wrap(key), value);
  }

  /**
   * A put of null, not {@code delete}: Kafka Streams' RocksDB delete first reads the old value to
   * return it, a point lookup per deletion that nothing here wants (measured: a sixth of the stream
   * thread's lookups). Both write the same tombstone to the store and its changelog.
   */
  @Override
  public void delete(byte[] key) {
    writable().put(Bytes.wrap(key), null);
  }

  @Override
  public List<Entry> scan(byte[] prefix, int limit) {
    try (KeyValueIterator<Bytes, byte[]> it =
        prefix.length == 0 ? reads.all() : reads.prefixScan(Bytes.wrap(prefix), PREFIX)) {
      return collect(it, null, limit);
    }
  }

  @Override
  public List<Entry> range(byte[] from, byte[] toExclusive, int limit) {
    try (KeyValueIterator<Bytes, byte[]> it =
        reads.range(Bytes.wrap(from), Bytes.wrap(toExclusive))) {
      return collect(it, toExclusive, limit);
    }
  }

  private static List<Entry> collect(
      KeyValueIterator<Bytes, byte[]> it, byte[] toExclusive, int limit) {
    List<Entry> entries = new ArrayList<>();
    // Limit first: hasNext() moves the RocksDB iterator on, over every deletion up to the next
    // live key, and once the limit is reached nothing wants that key.
    while (entries.size() < limit && it.hasNext()) {
      var kv = it.next();
      byte[] key = kv.key.get();
      if (toExclusive != null && Arrays.equals(key, toExclusive)) {
        break;
      }
      entries.add(new Entry(key, kv.value));
    }
    return entries;
  }

  private KeyValueStore<Bytes, byte[]> writable() {
    if (writes == null) {
      throw new UnsupportedOperationException("a queried store is read-only");
    }
    return writes;
  }
}
