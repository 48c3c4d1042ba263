package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

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
  private MockProcessorContext<Object, Object> context;

  @Provide
  Arbitrary<List<SortedStoreModel.Op>> operations() {
    Arbitrary<byte[]> keys =
        // Few keys, so that one is written, moved and deleted many times in a run.
        Arbitraries.of((byte) 0, COLD_TAG, COLD_TAG, (byte) 0x80, (byte) 0xFF)
            .array(byte[].class)
            .ofMinSize(1)
            .ofMaxSize(2);
    return SortedStoreModel.operations(keys, 60);
  }

  @Property(tries = 200)
  void readsAsOneSortedStoreAndKeepsOnlyWhatIsNotColdInTheHeap(
      @ForAll("operations") List<SortedStoreModel.Op> ops) throws Exception {
    TieredStore tiered = open();
    SortedStoreModel model = new SortedStoreModel(tiered);
    for (SortedStoreModel.Op op : ops) {
      model.apply(op);
      for (Map.Entry<byte[], byte[]> e : model.entries().entrySet()) {
        assertThat(tiered.heapTier().get(Bytes.wrap(e.getKey())) != null)
            .as("%s in the heap after %s", Arrays.toString(e.getKey()), op)
            .isEqualTo(!isCold(e.getKey(), e.getValue()));
      }
    }
  }

  @Test
  void standsWhereTheLastRecordThatWroteToEitherTierWas() throws Exception {
    try {
      TieredStore tiered = open();
      context.setRecordMetadata("lineup.commands", 0, 5);
      tiered.put(Bytes.wrap(new byte[] {0}), new byte[] {1});
      context.setRecordMetadata("lineup.results", 1, 7);
      tiered.put(Bytes.wrap(new byte[] {COLD_TAG}), new byte[] {1, 1});
      assertThat(tiered.heapTier().get(Bytes.wrap(new byte[] {COLD_TAG})))
          .as("a cold write")
          .isNull();
      context.setRecordMetadata("lineup.commands", 0, 9);
      tiered.delete(Bytes.wrap(new byte[] {0}));

      Position position = tiered.getPosition();
      assertThat(position.getTopics())
          .containsExactlyInAnyOrder("lineup.commands", "lineup.results");
      assertThat(position.getPartitionPositions("lineup.commands")).containsExactly(entry(0, 9L));
      assertThat(position.getPartitionPositions("lineup.results")).containsExactly(entry(1, 7L));
    } finally {
      closeStores(); // jqwik's @AfterTry does not run for a JUnit test
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
    context = new MockProcessorContext<>(props, new TaskId(0, 0), dir.toFile());
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
}
