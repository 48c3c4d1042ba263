package dev.lineup.sequencer.stream;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.CommitCallback;
import org.apache.kafka.streams.processor.StateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * A task's queue store in two tiers ({@code lineup.sequencer.state-store: tiered}): the entries
 * every step reads (hosts, upcoming and released activities, the indexes) in the heap, as {@link
 * HeapStore} keeps them, and the cold ones, what a finished activity leaves for its retention (its
 * record and its forget deadline), in a RocksDB store beside it. The heap store spares RocksDB's
 * native work on the queue's path, but holds a day of finished activities too, and the collector's
 * pauses grow with them (docs/BENCHMARKS.md, finding 66); here the heap holds what is upcoming, and
 * a finished activity costs two RocksDB writes when it ends.
 *
 * <p>To Kafka Streams it is one store with one changelog, as the other kinds are: which tier holds
 * an entry is decided by its bytes ({@code cold}), so a restore puts every record where a write put
 * it. It is not persistent: a task that starts reads its whole changelog back, as the heap store's
 * does, and the RocksDB tier is a scratch copy, emptied first and never committed (no changelog
 * offsets are written into it).
 *
 * <p>A key lives in one tier at most: a cold write takes it out of the heap, and a key of the cold
 * range written to the heap is taken out of RocksDB if it is there. The queue never does that (an
 * activity's end is final), so a step pays for the check only where the key was not in the heap and
 * not just looked up in vain: an activity accepted costs one RocksDB lookup, the duplicate check's.
 * Reads of a range that may hold cold keys merge both tiers in key order; every other read is the
 * heap's alone.
 */
final class TieredStore implements KeyValueStore<Bytes, byte[]> {

  private final String name;
  private final Cold cold;
  private final HeapStore hot;
  private final KeyValueStore<Bytes, byte[]> rocks;

  /**
   * Where the store stands in its input, for both tiers: Kafka Streams reads it for every record it
   * logs to the changelog, so it is kept, not merged from the tiers' on each read.
   */
  private final Position position = Position.emptyPosition();

  private StateStoreContext context;

  /**
   * A key of the cold range the writing thread's last lookup found in neither tier; reset by every
   * cold write. Interactive queries read from other threads, and their lookups leave it alone.
   */
  private byte[] knownAbsent;

  /** The thread that writes: the task's. Never an interactive query's, which only reads. */
  private Thread writer;

  private volatile boolean open;

  /**
   * Which entries are cold, by their bytes alone.
   *
   * @param key whether an entry under a key may be cold: any other key is read and written in the
   *     heap alone
   * @param entry whether an entry (key, value) is cold; once true for a key, true for every later
   *     value of it until it is deleted, or the store pays a lookup per write
   * @param range whether the keys from one to the other (both included; null: no bound) may include
   *     a key that may be cold: any other range is read from the heap alone
   */
  record Cold(
      Predicate<byte[]> key,
      BiPredicate<byte[], byte[]> entry,
      BiPredicate<byte[], byte[]> range) {}

  private TieredStore(String name, Cold cold) {
    this.name = name;
    this.cold = cold;
    this.hot = new HeapStore(name);
    this.rocks = Stores.persistentKeyValueStore(coldStoreName(name)).get();
  }

  /** The store for {@code Stores.keyValueStoreBuilder}, which adds its changelog and meters. */
  static KeyValueBytesStoreSupplier supplier(String name, Cold cold) {
    return new KeyValueBytesStoreSupplier() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public KeyValueStore<Bytes, byte[]> get() {
        return new TieredStore(name, cold);
      }

      @Override
      public String metricsScope() {
        return "tiered";
      }
    };
  }

  /** The RocksDB tier's name: its directory under the task's, and its RocksDB metrics. */
  static String coldStoreName(String name) {
    return name + "-retained";
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    // A scratch copy: what a previous instance left is older than the changelog about to be read.
    File leftover = new File(new File(context.stateDir(), "rocksdb"), coldStoreName(name));
    try {
      Utils.delete(leftover);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot empty " + leftover, e);
    }
    this.context = context;
    StateStoreContext tier = new TierContext(context);
    hot.init(tier, hot);
    rocks.init(tier, rocks);
    context.register(root, (BatchingStateRestoreCallback) this::restore);
    open = true;
  }

  private void restore(Collection<KeyValue<byte[], byte[]>> records) {
    for (KeyValue<byte[], byte[]> r : records) {
      write(Bytes.wrap(r.key), r.value);
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
    open = false;
    hot.close();
    rocks.close();
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
    byte[] value = hot.get(key);
    if (value != null || !mayBeCold(key.get())) {
      return value;
    }
    value = rocks.get(key);
    if (value == null && Thread.currentThread() == writer) {
      knownAbsent = key.get();
    }
    return value;
  }

  @Override
  public void put(Bytes key, byte[] value) {
    write(key, value);
    HeapStore.trace(position, context);
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
      write(r.key, r.value);
    }
    HeapStore.trace(position, context);
  }

  @Override
  public byte[] delete(Bytes key) {
    byte[] old = get(key);
    write(key, null);
    HeapStore.trace(position, context);
    return old;
  }

  /** A null value deletes, as a changelog tombstone does. */
  private void write(Bytes key, byte[] value) {
    writer = Thread.currentThread();
    byte[] k = key.get();
    if (!mayBeCold(k)) {
      hot.put(key, value);
    } else if (value == null) {
      if (hot.delete(key) == null) {
        rocks.put(key, null);
        knownAbsent = null;
      }
    } else if (cold.entry().test(k, value)) {
      rocks.put(key, value);
      hot.delete(key);
      knownAbsent = null;
    } else if (hot.swap(key, value) == null
        && !Arrays.equals(k, knownAbsent)
        && rocks.get(key) != null) {
      rocks.put(key, null);
    }
  }

  private boolean mayBeCold(byte[] key) {
    return cold.key().test(key);
  }

  /** Both ends included, as {@link KeyValueStore#range} has it; a null end is open. */
  @Override
  public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
    KeyValueIterator<Bytes, byte[]> inHeap = hot.range(from, to);
    if (!cold.range().test(from == null ? null : from.get(), to == null ? null : to.get())) {
      return inHeap;
    }
    return new Merged(inHeap, rocks.range(from, to));
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
    throw new UnsupportedOperationException("the queue store is read forwards only");
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    return new Merged(hot.all(), rocks.all());
  }

  @Override
  public <S extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(
      P prefix, S serializer) {
    byte[] from = serializer.serialize(null, prefix);
    KeyValueIterator<Bytes, byte[]> inHeap = hot.prefixScan(prefix, serializer);
    byte[] to = HeapStore.after(from);
    if (!cold.range().test(from, to)) {
      return inHeap;
    }
    return new Merged(inHeap, rocks.prefixScan(prefix, serializer));
  }

  /** The heap tier, for a test to see where an entry went. */
  HeapStore heapTier() {
    return hot;
  }

  /** Counts every entry of both tiers: for an operator's query, never on the queue's path. */
  @Override
  public long approximateNumEntries() {
    return hot.approximateNumEntries() + rocks.approximateNumEntries();
  }

  /**
   * Both tiers' entries in one key order. A key is in one tier at most; should a reader on another
   * thread meet one in both while it moves, the heap's is returned and RocksDB's skipped.
   */
  private static final class Merged implements KeyValueIterator<Bytes, byte[]> {

    private final KeyValueIterator<Bytes, byte[]> hot;
    private final KeyValueIterator<Bytes, byte[]> cold;

    Merged(KeyValueIterator<Bytes, byte[]> hot, KeyValueIterator<Bytes, byte[]> cold) {
      this.hot = hot;
      this.cold = cold;
    }

    @Override
    public boolean hasNext() {
      return hot.hasNext() || cold.hasNext();
    }

    @Override
    public KeyValue<Bytes, byte[]> next() {
      return nextFrom().next();
    }

    @Override
    public Bytes peekNextKey() {
      return nextFrom().peekNextKey();
    }

    /** The iterator whose next key is the lower, past a key both have. */
    private KeyValueIterator<Bytes, byte[]> nextFrom() {
      if (!hot.hasNext()) {
        if (!cold.hasNext()) {
          throw new NoSuchElementException();
        }
        return cold;
      }
      if (!cold.hasNext()) {
        return hot;
      }
      int order = hot.peekNextKey().compareTo(cold.peekNextKey());
      if (order == 0) {
        cold.next();
        return hot;
      }
      return order < 0 ? hot : cold;
    }

    @Override
    public void close() {
      try {
        hot.close();
      } finally {
        cold.close();
      }
    }
  }

  /**
   * The task's context as the tiers see it: everything but registration, which is this store's
   * alone (Kafka Streams restores the changelog into this store, and this store routes each
   * record), and the record being processed, by which each tier would keep a position of its own
   * that this store keeps for both.
   */
  private record TierContext(StateStoreContext task) implements StateStoreContext {

    @Override
    public String applicationId() {
      return task.applicationId();
    }

    @Override
    public TaskId taskId() {
      return task.taskId();
    }

    @Override
    public Optional<RecordMetadata> recordMetadata() {
      return Optional.empty();
    }

    @Override
    public Serde<?> keySerde() {
      return task.keySerde();
    }

    @Override
    public Serde<?> valueSerde() {
      return task.valueSerde();
    }

    @Override
    public File stateDir() {
      return task.stateDir();
    }

    @Override
    public StreamsMetrics metrics() {
      return task.metrics();
    }

    @Override
    public void register(StateStore store, StateRestoreCallback restore) {}

    @Override
    public void register(StateStore store, StateRestoreCallback restore, CommitCallback commit) {}

    @Override
    public Map<String, Object> appConfigs() {
      return task.appConfigs();
    }

    @Override
    public Map<String, Object> appConfigsWithPrefix(String prefix) {
      return task.appConfigsWithPrefix(prefix);
    }
  }
}
