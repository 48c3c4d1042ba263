package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.sequencer.queue.SortedStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A Kafka Streams store under test, seen as the queue sees it ({@link KeyValueSortedStore}), beside
 * a plain sorted map in RocksDB's unsigned byte order: each operation is applied to both, and each
 * read must answer as the map does.
 */
final class SortedStoreModel {

  /** One operation of a property's run. */
  record Op(Kind kind, byte[] key, byte[] other, int limit) {
    enum Kind {
      PUT,
      DELETE,
      SCAN,
      RANGE,
      GET
    }

    /** What a put writes: the key's first byte and the limit, so a key's values differ. */
    byte[] value() {
      return new byte[] {key[0], (byte) limit};
    }

    @Override
    public String toString() {
      return switch (kind) {
        case PUT -> "put " + Arrays.toString(key) + " = " + Arrays.toString(value());
        case DELETE -> "delete " + Arrays.toString(key);
        case SCAN -> "scan " + Arrays.toString(key) + " limit " + limit;
        case RANGE -> "range " + Arrays.toString(key) + ".." + Arrays.toString(other) + " " + limit;
        case GET -> "get " + Arrays.toString(key);
      };
    }
  }

  /** Runs of up to {@code maxSize} operations on {@code keys}, puts the most frequent. */
  static Arbitrary<List<Op>> operations(Arbitrary<byte[]> keys, int maxSize) {
    Arbitrary<Op> op =
        Combinators.combine(
                Arbitraries.frequency(
                    Tuple.of(6, Op.Kind.PUT),
                    Tuple.of(2, Op.Kind.DELETE),
                    Tuple.of(3, Op.Kind.SCAN),
                    Tuple.of(3, Op.Kind.RANGE),
                    Tuple.of(2, Op.Kind.GET)),
                keys,
                keys,
                Arbitraries.integers().between(1, 8))
            .as(Op::new);
    return op.list().ofMaxSize(maxSize);
  }

  private final KeyValueStore<Bytes, byte[]> tested;
  private final SortedStore store;
  private final TreeMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);

  SortedStoreModel(KeyValueStore<Bytes, byte[]> tested) {
    this.tested = tested;
    this.store = KeyValueSortedStore.of(tested);
  }

  /**
   * Applies {@code op} to the store and the map, checks what it read, then checks that the whole
   * store and every key's value are the map's.
   */
  void apply(Op op) {
    switch (op.kind()) {
      case PUT -> {
        store.put(op.key(), op.value());
        model.put(op.key(), op.value());
      }
      case DELETE -> {
        store.delete(op.key());
        model.remove(op.key());
      }
      case SCAN ->
          assertThat(keys(store.scan(op.key(), op.limit())))
              .as("%s", op)
              .containsExactlyElementsOf(modelScan(op.key(), op.limit()));
      case RANGE ->
          assertThat(keys(store.range(op.key(), op.other(), op.limit())))
              .as("%s", op)
              .containsExactlyElementsOf(modelRange(op.key(), op.other(), op.limit()));
      case GET -> assertThat(store.get(op.key())).as("%s", op).isEqualTo(model.get(op.key()));
    }
    assertThat(all(tested))
        .as("the whole store after %s", op)
        .containsExactlyElementsOf(model.keySet().stream().map(Arrays::toString).toList());
    for (Map.Entry<byte[], byte[]> e : model.entrySet()) {
      assertThat(store.get(e.getKey())).as("after %s", op).isEqualTo(e.getValue());
    }
  }

  /** What the store holds, as the map has it. */
  Map<byte[], byte[]> entries() {
    return model;
  }

  /** Every key of {@code store} in its iteration order, each peeked before it is read. */
  static List<String> all(KeyValueStore<Bytes, byte[]> store) {
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      return drain(it);
    }
  }

  static List<String> drain(KeyValueIterator<Bytes, byte[]> it) {
    List<String> keys = new ArrayList<>();
    while (it.hasNext()) {
      Bytes peeked = it.peekNextKey();
      KeyValue<Bytes, byte[]> kv = it.next();
      assertThat(kv.key).isEqualTo(peeked);
      keys.add(Arrays.toString(kv.key.get()));
    }
    return keys;
  }

  private static List<String> keys(List<SortedStore.Entry> entries) {
    return entries.stream().map(e -> Arrays.toString(e.key())).toList();
  }

  private List<String> modelScan(byte[] prefix, int limit) {
    List<String> keys = new ArrayList<>();
    for (byte[] k : model.tailMap(prefix, true).keySet()) {
      if (keys.size() == limit
          || k.length < prefix.length
          || !Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
        break;
      }
      keys.add(Arrays.toString(k));
    }
    return keys;
  }

  private List<String> modelRange(byte[] from, byte[] toExclusive, int limit) {
    if (Arrays.compareUnsigned(from, toExclusive) >= 0) {
      return List.of();
    }
    return model.subMap(from, true, toExclusive, false).keySet().stream()
        .limit(limit)
        .map(Arrays::toString)
        .toList();
  }
}
