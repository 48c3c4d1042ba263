package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.Command;
import dev.lineup.schemas.Commands;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.QueueSettings;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * The sequencer's RocksDB stores under one budget, on real RocksDB stores: what Kafka Streams
 * reports of each store's block cache is the process's one cache, not a cache per store.
 */
class BoundedRocksDbMemoryTest {

  /** The default budget: whichever test of this JVM opens a bounded store first sizes the cache. */
  private static final long BUDGET = 512L * 1024 * 1024;

  @Test
  void theStoresOfTwoTasksShareOneCacheOfTheBudget() throws Exception {
    List<TopologyTestDriver> tasks = new ArrayList<>();
    try {
      for (int task = 0; task < 2; task++) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bounded-memory-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("rocks").toString());
        props.putAll(BoundedRocksDbMemory.settings(BUDGET));
        tasks.add(
            new TopologyTestDriver(
                SequencerTopology.build(
                    QueueSettings.defaults(), Duration.ofSeconds(1), QueueStoreKind.ROCKSDB),
                props));
      }

      for (TopologyTestDriver task : tasks) {
        // Kafka Streams' own default is a cache of 50 MiB per store.
        assertThat(metric(task, "block-cache-capacity")).isEqualTo((double) BUDGET);
      }
      // Only the first task's store is written; the memtables it fills are charged to the cache.
      TestInputTopic<String, Command> commands =
          tasks
              .get(0)
              .createInputTopic(
                  Topics.COMMANDS.name(),
                  Serdes.String().serializer(),
                  Topics.COMMANDS.valueSerde().serializer());
      for (int i = 0; i < 2_000; i++) {
        String host = "host-" + (i % 200);
        commands.pipeInput(
            host,
            Commands.enqueue(
                SequencerHarness.script(host, UUID.randomUUID().toString()).build(), false));
      }
      double written = metric(tasks.get(0), "block-cache-usage");
      assertThat(written).as("the written store's cache usage").isPositive();
      // The store nothing was written to reports the same usage: the one cache both share.
      assertThat(metric(tasks.get(1), "block-cache-usage")).isEqualTo(written);
    } finally {
      tasks.forEach(TopologyTestDriver::close);
    }
  }

  @Test
  void aBudgetUnderAMegabyteIsRefused() {
    assertThatThrownBy(() -> BoundedRocksDbMemory.settings(64 * 1024))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lineup.sequencer.rocksdb-memory");
  }

  private static double metric(TopologyTestDriver task, String name) {
    return task.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals(name))
        .map(e -> ((Number) ((Metric) e.getValue()).metricValue()).doubleValue())
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no " + name + " metric: " + task.metrics().keySet()));
  }
}
