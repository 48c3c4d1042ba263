package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
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

  @Provide
  Arbitrary<List<SortedStoreModel.Op>> operations() {
    // A small alphabet with 0x00, 0x7F, 0x80 and 0xFF, so that edges come up.
    Arbitrary<byte[]> keys =
        Arbitraries.of((byte) 0, (byte) 1, (byte) 2, (byte) 0x7F, (byte) 0x80, (byte) 0xFF)
            .array(byte[].class)
            .ofMinSize(1)
            .ofMaxSize(3);
    return SortedStoreModel.operations(keys, 80);
  }

  @Property(tries = 500)
  void readsLikeASortedMapInUnsignedByteOrder(@ForAll("operations") List<SortedStoreModel.Op> ops) {
    KeyValueStore<Bytes, byte[]> heap = HeapStore.supplier("queue").get();
    SortedStoreModel model = new SortedStoreModel(heap);
    for (SortedStoreModel.Op op : ops) {
      model.apply(op);
      assertThat(heap.approximateNumEntries()).isEqualTo(model.entries().size());
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
      assertThat(SortedStoreModel.drain(it)).containsExactly("[-1]", "[-1, 0]", "[-1, -1]");
    }
    try (KeyValueIterator<Bytes, byte[]> it =
        heap.range(Bytes.wrap(new byte[] {(byte) 0xFE}), Bytes.wrap(new byte[] {(byte) 0xFF}))) {
      assertThat(SortedStoreModel.drain(it)).containsExactly("[-2]", "[-1]");
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
      assertThat(SortedStoreModel.drain(it)).doesNotContain("[5]").contains("[9]", "[20]");
    }
  }
}
