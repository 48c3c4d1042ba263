package dev.lineup.sequencer.stream;

import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.queue.RetainedRecords;
import dev.lineup.sequencer.queue.Section;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The sequencer's topology: {@code lineup.commands} and {@code lineup.results} into one processor
 * owning the queue stores; lifecycle events and releases out, and the dead letters of a tick's
 * parts put aside.
 *
 * <p>Store names are API: their changelog topics are named after them ({@code
 * <application.id>-<store>-changelog}). Never rename one.
 */
public final class SequencerTopology {

  /**
   * Every queue store of a task, as sections of this one store ({@link Section}). It replaced ten
   * stores of their own (sequencer-hosts, -activities, ...): one changelog partition per task in
   * each transaction instead of ten.
   */
  public static final String QUEUE_STORE = "sequencer-queue";

  static final String PROCESSOR = "sequencer";

  private SequencerTopology() {}

  /**
   * @param store where each task's queue store keeps its state; changelogged either way
   */
  public static Topology build(QueueSettings settings, Duration tick, QueueStoreKind store) {
    return build(settings, tick, store, SequencerMetrics.none());
  }

  /**
   * {@link #build(QueueSettings, Duration, QueueStoreKind)}, counting what the sequencer sends in
   * {@code metrics}.
   */
  public static Topology build(
      QueueSettings settings, Duration tick, QueueStoreKind store, SequencerMetrics metrics) {
    return build(settings, tick, store, metrics, Duration.ZERO);
  }

  /**
   * {@link #build(QueueSettings, Duration, QueueStoreKind, SequencerMetrics)}, asking for a commit
   * soon after a step releases work while the thread keeps up, at most once per {@code
   * handoffCommitSpacing} ({@link HandoffCommits}; zero: never).
   */
  public static Topology build(
      QueueSettings settings,
      Duration tick,
      QueueStoreKind store,
      SequencerMetrics metrics,
      Duration handoffCommitSpacing) {
    HandoffCommits handoffCommits = new HandoffCommits(handoffCommitSpacing);
    Topology topology = new Topology();
    topology.addSource(
        Topics.COMMANDS.name(),
        Serdes.String().deserializer(),
        anyRecord(Topics.COMMANDS),
        Topics.COMMANDS.name());
    topology.addSource(
        org.apache.kafka.streams.AutoOffsetReset.earliest(),
        Topics.RESULTS.name(),
        new ResultsFirst(),
        Serdes.String().deserializer(),
        anyRecord(Topics.RESULTS),
        Topics.RESULTS.name());
    topology.addProcessor(
        PROCESSOR,
        () -> new SequencerProcessor(settings, tick, metrics, handoffCommits),
        Topics.COMMANDS.name(),
        Topics.RESULTS.name());
    topology.addStateStore(storeBuilder(QUEUE_STORE, store), PROCESSOR);
    addSink(topology, Topics.EVENTS);
    addSink(topology, Topics.REVOCATIONS);
    // Releases come encoded already: built around the payload as stored (ReleasedEncoding).
    Topics.RELEASED.forEach(
        t ->
            topology.addSink(
                t.name(),
                t.name(),
                Serdes.String().serializer(),
                Serdes.ByteArray().serializer(),
                PROCESSOR));
    // The dead letters of a tick's parts put aside; a record's own go through the exception
    // handler.
    topology.addSink(
        Topics.SEQUENCER_DLQ.name(),
        Topics.SEQUENCER_DLQ.name(),
        Topics.SEQUENCER_DLQ.keySerde().serializer(),
        Topics.SEQUENCER_DLQ.valueSerde().serializer(),
        PROCESSOR);
    return topology;
  }

  private static StoreBuilder<KeyValueStore<Bytes, byte[]>> storeBuilder(
      String name, QueueStoreKind store) {
    return Stores.keyValueStoreBuilder(
            switch (store) {
              case ROCKSDB -> Stores.persistentKeyValueStore(name);
              case HEAP -> HeapStore.supplier(name);
              case TIERED ->
                  TieredStore.supplier(
                      name,
                      new TieredStore.Cold(
                          RetainedRecords::mayBeRetained,
                          RetainedRecords::isRetained,
                          RetainedRecords::mayHoldRetained));
            },
            Serdes.Bytes(),
            Serdes.ByteArray())
        // Measured with the record cache on: no throughput gained, and a deep queue's scans over
        // cache and store together cost more (docs/BENCHMARKS.md). Every write goes straight on.
        .withCachingDisabled();
  }

  @SuppressWarnings("unchecked")
  private static <V extends SpecificRecord> void addSink(
      Topology topology, Topic<String, V> topic) {
    Serializer<SpecificRecord> values =
        (Serializer<SpecificRecord>) topic.valueSerde().serializer();
    topology.addSink(topic.name(), topic.name(), Serdes.String().serializer(), values, PROCESSOR);
  }

  @SuppressWarnings("unchecked")
  private static Deserializer<SpecificRecord> anyRecord(
      Topic<String, ? extends SpecificRecord> topic) {
    return (Deserializer<SpecificRecord>) topic.valueSerde().deserializer();
  }
}
