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

  /** The store whose key routing finds a host's owner. */
  public static final String HOSTS = SequencerTopology.HOSTS_STORE;

  private SequencerStores() {}

  /** Every local task's stores, read-only. */
  public static QueueStores readOnly(KafkaStreams streams) {
    return new QueueStores(
        store(streams, SequencerTopology.HOSTS_STORE),
        store(streams, SequencerTopology.ACTIVITIES_STORE),
        store(streams, SequencerTopology.PAYLOADS_STORE),
        store(streams, SequencerTopology.READY_STORE),
        store(streams, SequencerTopology.UPCOMING_STORE),
        store(streams, SequencerTopology.RELEASED_STORE),
        store(streams, SequencerTopology.DEADLINES_STORE),
        store(streams, SequencerTopology.DEPENDENTS_STORE),
        store(streams, SequencerTopology.DEDUPE_STORE),
        store(streams, SequencerTopology.BUDGET_WAITS_STORE));
  }

  private static SortedStore store(KafkaStreams streams, String name) {
    ReadOnlyKeyValueStore<Bytes, byte[]> store =
        streams.store(
            StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
    return KeyValueSortedStore.readOnly(store);
  }
}
