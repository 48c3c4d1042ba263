package dev.lineup.sequencer.stream;

import dev.lineup.sequencer.queue.QueueSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/** One sequencer instance on a real broker, configured as production is (exactly once). */
final class SequencerNode implements AutoCloseable {

  static final String APPLICATION_ID = "lineup-sequencer-it";

  private final KafkaStreams streams;

  SequencerNode(String bootstrapServers, Path stateDir) {
    this(bootstrapServers, stateDir, QueueStoreKind.ROCKSDB);
  }

  /** With its queue store in RocksDB or in the heap. */
  SequencerNode(String bootstrapServers, Path stateDir, QueueStoreKind store) {
    this(bootstrapServers, stateDir, null, Duration.ZERO, store);
  }

  /**
   * With a commit interval of its own (null: Kafka Streams' default) and commits asked for early by
   * releases at most once per {@code handoffCommitSpacing} ({@link HandoffCommits}).
   */
  SequencerNode(
      String bootstrapServers,
      Path stateDir,
      Duration commitInterval,
      Duration handoffCommitSpacing) {
    this(bootstrapServers, stateDir, commitInterval, handoffCommitSpacing, QueueStoreKind.ROCKSDB);
  }

  private SequencerNode(
      String bootstrapServers,
      Path stateDir,
      Duration commitInterval,
      Duration handoffCommitSpacing,
      QueueStoreKind store) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // A crashed member leaves the group after this, not the 45 s default.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6_000);
    props.putAll(SequencerStreams.guarantees());
    props.putAll(SequencerStreams.errorHandling());
    if (commitInterval != null) {
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
      // A transaction left open for an interval must not time out meanwhile.
      props.put(
          StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
          (int) Math.max(10_000, commitInterval.multipliedBy(2).toMillis()));
    }
    streams =
        new KafkaStreams(
            SequencerTopology.build(
                QueueSettings.defaults(),
                Duration.ofMillis(100),
                store,
                SequencerMetrics.none(),
                handoffCommitSpacing),
            props);
  }

  SequencerNode start() {
    streams.start();
    return this;
  }

  void awaitRunning(Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("sequencer not running: " + streams.state());
      }
      Thread.sleep(100);
    }
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }

  /**
   * A sequencer in a process of its own, so a test can kill it for real: the bootstrap servers, the
   * state directory and the queue store's kind.
   */
  public static void main(String[] args) throws Exception {
    SequencerNode node =
        new SequencerNode(args[0], Path.of(args[1]), QueueStoreKind.valueOf(args[2])).start();
    node.awaitRunning(Duration.ofMinutes(2));
    System.out.println("SEQUENCER RUNNING");
    System.out.flush();
    Thread.currentThread().join();
  }
}
