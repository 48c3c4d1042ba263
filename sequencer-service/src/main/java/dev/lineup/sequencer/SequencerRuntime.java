package dev.lineup.sequencer;

import dev.lineup.sequencer.stream.BoundedRocksDbMemory;
import dev.lineup.sequencer.stream.SequencerDeadLetters;
import dev.lineup.sequencer.stream.SequencerMetrics;
import dev.lineup.sequencer.stream.SequencerStreams;
import dev.lineup.sequencer.stream.SequencerTopology;
import dev.lineup.sequencer.stream.StreamThreadFailures;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micronaut.context.annotation.Context;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the sequencer's {@link KafkaStreams}: built and started with the service, closed with it. A
 * thread that dies replaces itself, so one bad moment never leaves a task unowned.
 */
@Context
public final class SequencerRuntime implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SequencerRuntime.class);

  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;

  public SequencerRuntime(SequencerSettings settings, MeterRegistry registry) {
    Topology topology =
        SequencerTopology.build(
            settings.queue(),
            settings.tick(),
            settings.stateStore(),
            new SequencerMetrics(registry),
            settings.handoffCommitSpacing());
    LOG.info("sequencer topology:\n{}", topology.describe());
    streams = new KafkaStreams(topology, properties(settings));
    StreamThreadFailures failures = new StreamThreadFailures();
    streams.setUncaughtExceptionHandler(failures);
    streams.setStateListener(
        (now, before) -> {
          LOG.info("sequencer streams {} -> {}", before, now);
          if (now == KafkaStreams.State.RUNNING) {
            failures.running();
          }
        });
    streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    instrument(registry);
    streams.start();
  }

  /**
   * The two consumer meters every Lineup consumer has, for the sequencer's stream threads: {@code
   * lineup_consumer_stalled{consumer="sequencer"}} (1 while Kafka Streams is not RUNNING: starting,
   * rebalancing, restoring or dead) and {@code lineup_consumer_lag_records}, the records its main
   * consumers have not read yet (changelog restores are not counted).
   */
  private void instrument(MeterRegistry registry) {
    Gauge.builder(
            "lineup.consumer.stalled",
            streams,
            s -> s.state() == KafkaStreams.State.RUNNING ? 0 : 1)
        .description("1 while this consumer cannot make progress, else 0")
        .tag("consumer", SequencerDeadLetters.CONSUMER)
        .register(registry);
    Gauge.builder("lineup.consumer.lag.records", streams, SequencerRuntime::inputLag)
        .description("Records in this consumer's partitions that it has not read yet")
        .tag("consumer", SequencerDeadLetters.CONSUMER)
        .register(registry);
  }

  /** The sum of the main consumers' per-partition {@code records-lag}. */
  private static double inputLag(KafkaStreams streams) {
    double lag = 0;
    for (var entry : streams.metrics().entrySet()) {
      MetricName name = entry.getKey();
      String client = name.tags().getOrDefault("client-id", "");
      if (name.name().equals("records-lag")
          && name.group().equals("consumer-fetch-manager-metrics")
          && name.tags().containsKey("partition")
          && client.endsWith("-consumer")
          && !client.endsWith("-restore-consumer")
          && !client.endsWith("-global-consumer")
          && entry.getValue().metricValue() instanceof Number n
          && !Double.isNaN(n.doubleValue())) {
        lag += n.doubleValue();
      }
    }
    return lag;
  }

  static Properties properties(SequencerSettings settings) {
    Properties props = new Properties();
    // Bootstrap servers and the TLS and SASL settings, for every client Kafka Streams makes.
    props.putAll(settings.kafka().clientConfig());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId());
    props.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir());
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.streamThreads());
    props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, settings.advertisedEndpoint());
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, settings.commitInterval().toMillis());
    // The thread commits only between polls, so a commit that falls due while the thread waits in
    // an empty poll is late by what is left of that poll. 100 ms (Kafka Streams' default) made the
    // hand-off p50 134 ms, 10 ms made it a commit interval and a few ms more at half of capacity;
    // 2 ms took another 4 ms off the median and 9 ms off the p99 there, for no more CPU under load
    // (a poll that finds nothing sends no request while the fetch it waits on is at the broker);
    // an idle instance spends about 4 % of a core more on its empty polls (docs/BENCHMARKS.md,
    // findings 3 and 69; DEPLOY.md says how to set it back).
    props.put(StreamsConfig.POLL_MS_CONFIG, 2L);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, settings.replicationFactor());
    props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, settings.standbyReplicas());
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    if (settings.instanceId() != null) {
      props.put(
          StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
          settings.instanceId());
    }
    props.putAll(SequencerStreams.errorHandling());
    props.putAll(BoundedRocksDbMemory.settings(settings.rocksDbMemory()));
    props.putAll(settings.kafkaOverrides());
    props.putAll(SequencerStreams.guarantees());
    return props;
  }

  public KafkaStreams streams() {
    return streams;
  }

  public boolean running() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  @PreDestroy
  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    streamsMetrics.close();
  }
}
