package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.sequencer.queue.SortedStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * The heap store reads like RocksDB: keys in unsigned byte order, a range with both ends included,
 * a prefix scan up to the prefix's last key (0xFF bytes included), a null value a deletion. Checked
 * against a plain sorted map, through the queue's own view of a store ({@link KeyValueSortedStore})
 * and through Kafka Streams' iterators.
 */
class HeapStoreProperties {

  /** One operation; keys come from a small alphabet with 0x00 and 0xFF so that edges come up. */
  record Op(int kind, byte[] key, byte[] other, int limit) {
    @Override
    public String toString() {
      return switch (kind) {
        case 0 -> "put " + Arrays.toString(key);
        case 1 -> "delete " + Arrays.toString(key);
        case 2 -> "scan " + Arrays.toString(key) + " limit " + limit;
        case 3 -> "range " + Arrays.toString(key) + ".." + Arrays.toString(other) + " " + limit;
        default -> "put null " + Arrays.toString(key);
      };
    }
  }

  @Provide
  Arbitrary<List<Op>> operations() {
    Arbitrary<byte[]> keys =
        Arbitraries.of((byte) 0, (byte) 1, (byte) 2, (byte) 0x7F, (byte) 0x80, (byte) 0xFF)
            .array(byte[].class)
            .ofMinSize(1)
            .ofMaxSize(3);
    Arbitrary<Op> op =
        Combinators.combine(
                Arbitraries.frequency(
                    Tuple.of(6, 0), Tuple.of(2, 1), Tuple.of(3, 2), Tuple.of(3, 3), Tuple.of(1, 4)),
                keys,
                keys,
                Arbitraries.integers().between(1, 8))
            .as(Op::new);
    return op.list().ofMaxSize(80);
  }

  @Property(tries = 500)
  void readsLikeASortedMapInUnsignedByteOrder(@ForAll("operations") List<Op> ops) {
    KeyValueStore<Bytes, byte[]> heap = HeapStore.supplier("queue").get();
    SortedStore store = KeyValueSortedStore.of(heap);
    TreeMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
    for (Op op : ops) {
      switch (op.kind()) {
        case 0 -> {
          byte[] value = {op.key()[0], (byte) op.limit()};
          store.put(op.key(), value);
          model.put(op.key(), value);
        }
        case 1 -> {
          store.delete(op.key());
          model.remove(op.key());
        }
        case 2 ->
            assertThat(keys(store.scan(op.key(), op.limit())))
                .as("%s", op)
                .containsExactlyElementsOf(
                    modelScan(model, op.key(), op.limit()).stream().map(Arrays::toString).toList());
        case 3 ->
            assertThat(keys(store.range(op.key(), op.other(), op.limit())))
                .as("%s", op)
                .containsExactlyElementsOf(
                    modelRange(model, op.key(), op.other(), op.limit()).stream()
                        .map(Arrays::toString)
                        .toList());
        default -> {
          heap.put(Bytes.wrap(op.key()), null);
          model.remove(op.key());
        }
      }
      assertThat(heap.approximateNumEntries()).isEqualTo(model.size());
      assertThat(all(heap))
          .containsExactlyElementsOf(model.keySet().stream().map(Arrays::toString).toList());
    }
  }

  @Test
  void aPrefixOfOnly0xFFBytesScansToTheEndAndARangeIncludesBothEnds() {
    KeyValueStore<Bytes, byte[]> heap = HeapStore.supplier("queue").get();
    for (byte[] key :
        new byte[][] {{(byte) 0xFE}, {(byte) 0xFF}, {(byte) 0xFF, 0}, {(byte) 0xFF, (byte) 0xFF}}) {
      heap.put(Bytes.wrap(key), new byte[] {1});
    }
    try (KeyValueIterator<Bytes, byte[]> it =
        heap.prefixScan(Bytes.wrap(new byte[] {(byte) 0xFF}), new BytesSerializer())) {
      assertThat(drain(it)).containsExactly("[-1]", "[-1, 0]", "[-1, -1]");
    }
    try (KeyValueIterator<Bytes, byte[]> it =
        heap.range(Bytes.wrap(new byte[] {(byte) 0xFE}), Bytes.wrap(new byte[] {(byte) 0xFF}))) {
      assertThat(drain(it)).containsExactly("[-2]", "[-1]");
    }
    try (KeyValueIterator<Bytes, byte[]> it =
        heap.range(Bytes.wrap(new byte[] {(byte) 0xFF}), Bytes.wrap(new byte[] {(byte) 0xFE}))) {
      assertThat(it.hasNext()).as("a range whose ends are the wrong way round is empty").isFalse();
    }
    assertThatThrownBy(() -> heap.reverseRange(null, null))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void anIteratorGoesOnOverWritesMadeWhileItIsOpen() {
    KeyValueStore<Bytes, byte[]> heap = HeapStore.supplier("queue").get();
    for (int i = 0; i < 10; i++) {
      heap.put(Bytes.wrap(new byte[] {(byte) i}), new byte[] {(byte) i});
    }
    try (KeyValueIterator<Bytes, byte[]> it = heap.all()) {
      KeyValue<Bytes, byte[]> first = it.next();
      heap.delete(Bytes.wrap(new byte[] {5}));
      heap.put(Bytes.wrap(new byte[] {20}), new byte[] {20});
      assertThat(first.key.get()).containsExactly(0);
      assertThat(drain(it)).doesNotContain("[5]").contains("[9]", "[20]");
    }
  }

  private static List<String> keys(List<SortedStore.Entry> entries) {
    return entries.stream().map(e -> Arrays.toString(e.key())).toList();
  }

  private static List<String> all(KeyValueStore<Bytes, byte[]> heap) {
    try (KeyValueIterator<Bytes, byte[]> it = heap.all()) {
      return drain(it);
    }
  }

  private static List<String> drain(KeyValueIterator<Bytes, byte[]> it) {
    List<String> keys = new ArrayList<>();
    while (it.hasNext()) {
      Bytes peeked = it.peekNextKey();
      KeyValue<Bytes, byte[]> kv = it.next();
      assertThat(kv.key).isEqualTo(peeked);
      keys.add(Arrays.toString(kv.key.get()));
    }
    return keys;
  }

  private static List<byte[]> modelScan(TreeMap<byte[], byte[]> model, byte[] prefix, int limit) {
    List<byte[]> keys = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : model.tailMap(prefix, true).entrySet()) {
      byte[] k = e.getKey();
      if (keys.size() == limit
          || k.length < prefix.length
          || !Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
        break;
      }
      keys.add(k);
    }
    return keys;
  }

  private static List<byte[]> modelRange(
      TreeMap<byte[], byte[]> model, byte[] from, byte[] toExclusive, int limit) {
    if (Arrays.compareUnsigned(from, toExclusive) >= 0) {
      return List.of();
    }
    return model.subMap(from, true, toExclusive, false).keySet().stream().limit(limit).toList();
  }
}
