package dev.lineup.sequencer.stream;

import dev.lineup.sequencer.queue.QueueStores;
import dev.lineup.sequencer.queue.SortedStore;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** The queue stores of a running instance, for interactive queries. */
public final class SequencerStores {

  /** The store whose key routing finds a host's owner: every host's queue lives in it. */
  public static final String QUEUE = SequencerTopology.QUEUE_STORE;

  private SequencerStores() {}

  /** Every local task's stores, read-only. */
  public static QueueStores readOnly(KafkaStreams streams) {
    return QueueStores.sectionsOf(store(streams, SequencerTopology.QUEUE_STORE));
  }

  private static SortedStore store(KafkaStreams streams, String name) {
    ReadOnlyKeyValueStore<Bytes, byte[]> store =
        streams.store(
            StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
    return KeyValueSortedStore.readOnly(store);
  }
}
