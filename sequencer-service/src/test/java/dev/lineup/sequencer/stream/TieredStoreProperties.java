package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.sequencer.queue.SortedStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterTry;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The tiered store reads as one store: whichever tier an entry went to, and however often a key
 * moves between them, every read (a lookup, a prefix scan, a range, the whole store) sees what a
 * plain sorted map in unsigned byte order would, and the heap holds exactly the entries that are
 * not cold. Keys starting with {@link #COLD_TAG} are cold when their value's second byte is odd, so
 * a key goes cold and comes back, which the queue never does and the store must still get right.
 */
class TieredStoreProperties {

  private static final byte COLD_TAG = 2;

  private final List<KeyValueStore<Bytes, byte[]>> opened = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();

  record Op(int kind, byte[] key, byte[] other, int limit) {
    @Override
    public String toString() {
      return switch (kind) {
        case 0 -> "put " + Arrays.toString(key) + (limit % 2 == 1 ? " cold" : " hot");
        case 1 -> "delete " + Arrays.toString(key);
        case 2 -> "scan " + Arrays.toString(key) + " limit " + limit;
        case 3 -> "range " + Arrays.toString(key) + ".." + Arrays.toString(other) + " " + limit;
        default -> "get " + Arrays.toString(key);
      };
    }
  }

  @Provide
  Arbitrary<List<Op>> operations() {
    Arbitrary<byte[]> keys =
        // Few keys, so that one is written, moved and deleted many times in a run.
        Arbitraries.of((byte) 0, COLD_TAG, COLD_TAG, (byte) 0x80, (byte) 0xFF)
            .array(byte[].class)
            .ofMinSize(1)
            .ofMaxSize(2);
    Arbitrary<Op> op =
        Combinators.combine(
                Arbitraries.frequency(
                    Tuple.of(6, 0), Tuple.of(2, 1), Tuple.of(2, 2), Tuple.of(2, 3), Tuple.of(2, 4)),
                keys,
                keys,
                Arbitraries.integers().between(1, 8))
            .as(Op::new);
    return op.list().ofMaxSize(60);
  }

  @Property(tries = 200)
  void readsAsOneSortedStoreAndKeepsOnlyWhatIsNotColdInTheHeap(@ForAll("operations") List<Op> ops)
      throws Exception {
    TieredStore tiered = open();
    SortedStore store = KeyValueSortedStore.of(tiered);
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
                .containsExactlyElementsOf(modelScan(model, op.key(), op.limit()));
        case 3 ->
            assertThat(keys(store.range(op.key(), op.other(), op.limit())))
                .as("%s", op)
                .containsExactlyElementsOf(modelRange(model, op.key(), op.other(), op.limit()));
        default -> assertThat(store.get(op.key())).as("%s", op).isEqualTo(model.get(op.key()));
      }
      assertThat(all(tiered))
          .as("after %s", op)
          .containsExactlyElementsOf(model.keySet().stream().map(Arrays::toString).toList());
      for (Map.Entry<byte[], byte[]> e : model.entrySet()) {
        assertThat(store.get(e.getKey())).as("after %s", op).isEqualTo(e.getValue());
        assertThat(tiered.heapTier().get(Bytes.wrap(e.getKey())) != null)
            .as("%s in the heap after %s", Arrays.toString(e.getKey()), op)
            .isEqualTo(!isCold(e.getKey(), e.getValue()));
      }
    }
  }

  private static boolean isCold(byte[] key, byte[] value) {
    return key[0] == COLD_TAG && value.length > 1 && value[1] % 2 == 1;
  }

  private static boolean mayHoldCold(byte[] from, byte[] to) {
    return (from == null || from.length == 0 || Byte.compareUnsigned(from[0], COLD_TAG) <= 0)
        && (to == null || Arrays.compareUnsigned(to, new byte[] {COLD_TAG}) >= 0);
  }

  private TieredStore open() throws Exception {
    Path dir = Files.createTempDirectory("tiered");
    dirs.add(dir);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tiered-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    var context = new MockProcessorContext<>(props, new TaskId(0, 0), dir.toFile());
    TieredStore store =
        (TieredStore)
            TieredStore.supplier(
                    "queue",
                    new TieredStore.Cold(
                        k -> k.length > 0 && k[0] == COLD_TAG,
                        TieredStoreProperties::isCold,
                        TieredStoreProperties::mayHoldCold))
                .get();
    store.init(context.getStateStoreContext(), store);
    opened.add(store);
    return store;
  }

  @AfterTry
  void closeStores() throws Exception {
    for (KeyValueStore<Bytes, byte[]> store : opened) {
      store.close();
    }
    opened.clear();
    for (Path dir : dirs) {
      Utils.delete(dir.toFile());
    }
    dirs.clear();
  }

  private static List<String> keys(List<SortedStore.Entry> entries) {
    return entries.stream().map(e -> Arrays.toString(e.key())).toList();
  }

  private static List<String> all(KeyValueStore<Bytes, byte[]> store) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      while (it.hasNext()) {
        Bytes peeked = it.peekNextKey();
        var kv = it.next();
        assertThat(kv.key).isEqualTo(peeked);
        keys.add(Arrays.toString(kv.key.get()));
      }
    }
    return keys;
  }

  private static List<String> modelScan(TreeMap<byte[], byte[]> model, byte[] prefix, int limit) {
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

  private static List<String> modelRange(
      TreeMap<byte[], byte[]> model, byte[] from, byte[] toExclusive, int limit) {
    if (Arrays.compareUnsigned(from, toExclusive) >= 0) {
      return List.of();
    }
    return model.subMap(from, true, toExclusive, false).keySet().stream()
        .limit(limit)
        .map(Arrays::toString)
        .toList();
  }
}
