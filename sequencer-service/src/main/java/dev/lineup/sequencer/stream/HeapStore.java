package dev.lineup.sequencer.stream;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A task's queue store kept in the heap ({@code lineup.sequencer.state-store: heap}): one sorted
 * map, changelogged like the RocksDB store, so the state survives the loss of the process the same
 * way and standbys keep their copy the same way. What differs is where the bytes live: every key
 * and value of the task in this JVM's heap, and a task that starts (a restart, clean or not, or a
 * task moved here without a standby) reads its whole changelog back, where RocksDB after a clean
 * stop starts from its checkpoint. It spares RocksDB's native reads and writes, most of them a
 * search of a memtable's skip list (docs/BENCHMARKS.md, finding 66).
 *
 * <p>Kafka Streams' own in-memory store copies every key of a range into a new sorted set before
 * its iterator returns the first one, so a read of the head of a section of a million deadlines
 * would copy a million keys. The queue reads the heads of large sections on every step, so this
 * store iterates the map itself: a range costs what it returns. Its iterators see the map as it is
 * while they go (the queue closes each before it writes), and interactive queries read it from
 * other threads as they would a RocksDB store's.
 */
final class HeapStore implements KeyValueStore<Bytes, byte[]> {

  private final String name;
  private final ConcurrentNavigableMap<byte[], byte[]> map =
      new ConcurrentSkipListMap<>(Arrays::compareUnsigned);

  private final Position position = Position.emptyPosition();
  private StateStoreContext context;
  private volatile boolean open;

  /**
   * Kafka Streams takes it from {@link #supplier}; {@link TieredStore} keeps one as its hot tier.
   */
  HeapStore(String name) {
    this.name = name;
  }

  /** The store for {@code Stores.keyValueStoreBuilder}, which adds its changelog and meters. */
  static KeyValueBytesStoreSupplier supplier(String name) {
    return new KeyValueBytesStoreSupplier() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public KeyValueStore<Bytes, byte[]> get() {
        return new HeapStore(name);
      }

      @Override
      public String metricsScope() {
        return "in-memory";
      }
    };
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    this.context = context;
    context.register(root, (BatchingStateRestoreCallback) this::restore);
    open = true;
  }

  private void restore(java.util.Collection<KeyValue<byte[], byte[]>> records) {
    for (KeyValue<byte[], byte[]> r : records) {
      write(r.key, r.value);
    }
  }

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    map.clear();
    open = false;
  }

  @Override
  public Position getPosition() {
    return position;
  }

  @Override
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    return QueryResult.forUnknownQueryType(query, this);
  }

  @Override
  public byte[] get(Bytes key) {
    return map.get(key.get());
  }

  @Override
  public void put(Bytes key, byte[] value) {
    swap(key, value);
  }

  @Override
  public byte[] putIfAbsent(Bytes key, byte[] value) {
    byte[] old = get(key);
    if (old == null) {
      put(key, value);
    }
    return old;
  }

  @Override
  public void putAll(List<KeyValue<Bytes, byte[]>> records) {
    for (KeyValue<Bytes, byte[]> r : records) {
      write(r.key.get(), r.value);
    }
    tracePosition();
  }

  @Override
  public byte[] delete(Bytes key) {
    return swap(key, null);
  }

  /**
   * Writes a value, or deletes with a null one, and returns the value it replaced: a {@link #get}
   * and a {@link #put} in one search of the map.
   */
  byte[] swap(Bytes key, byte[] value) {
    byte[] old = write(key.get(), value);
    tracePosition();
    return old;
  }

  /** A null value deletes, as a changelog tombstone does. */
  private byte[] write(byte[] key, byte[] value) {
    return value == null ? map.remove(key) : map.put(key, value);
  }

  private void tracePosition() {
    trace(position, context);
  }

  /**
   * Moves {@code position}, where a store stands in its input, to the record being processed, as
   * Kafka Streams' own stores keep it.
   */
  static void trace(Position position, StateStoreContext context) {
    if (context != null) {
      // A punctuation's writes have metadata without a record: no topic.
      context
          .recordMetadata()
          .filter(m -> m.topic() != null)
          .ifPresent(m -> position.withComponent(m.topic(), m.partition(), m.offset()));
    }
  }

  /** Both ends included, as {@link KeyValueStore#range} has it; a null end is open. */
  @Override
  public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
    if (from != null && to != null && from.compareTo(to) > 0) {
      return new Entries(Map.<byte[], byte[]>of().entrySet().iterator());
    }
    ConcurrentNavigableMap<byte[], byte[]> part = map;
    if (from != null) {
      part = part.tailMap(from.get(), true);
    }
    if (to != null) {
      part = part.headMap(to.get(), true);
    }
    return new Entries(part.entrySet().iterator());
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
    throw new UnsupportedOperationException("the queue store is read forwards only");
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    return range(null, null);
  }

  @Override
  public <S extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(
      P prefix, S serializer) {
    byte[] from = serializer.serialize(null, prefix);
    byte[] after = after(from);
    ConcurrentNavigableMap<byte[], byte[]> part =
        after == null ? map.tailMap(from, true) : map.subMap(from, true, after, false);
    return new Entries(part.entrySet().iterator());
  }

  /** The first key past every key starting with {@code prefix}; null if there is none. */
  static byte[] after(byte[] prefix) {
    byte[] next = prefix.clone();
    for (int i = next.length - 1; i >= 0; i--) {
      if (next[i] != (byte) 0xFF) {
        next[i]++;
        return Arrays.copyOf(next, i + 1);
      }
    }
    return null;
  }

  /** Counts every entry: for an operator's query, never on the queue's path. */
  @Override
  public long approximateNumEntries() {
    return map.size();
  }

  /** The map's entries in key order, as Kafka Streams' iterators give them. */
  private static final class Entries implements KeyValueIterator<Bytes, byte[]> {

    private final Iterator<Map.Entry<byte[], byte[]>> it;
    private Map.Entry<byte[], byte[]> next;

    Entries(Iterator<Map.Entry<byte[], byte[]>> it) {
      this.it = it;
    }

    @Override
    public boolean hasNext() {
      if (next == null && it.hasNext()) {
        next = it.next();
      }
      return next != null;
    }

    @Override
    public KeyValue<Bytes, byte[]> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      KeyValue<Bytes, byte[]> kv = KeyValue.pair(Bytes.wrap(next.getKey()), next.getValue());
      next = null;
      return kv;
    }

    @Override
    public Bytes peekNextKey() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return Bytes.wrap(next.getKey());
    }

    @Override
    public void close() {}
  }
}
