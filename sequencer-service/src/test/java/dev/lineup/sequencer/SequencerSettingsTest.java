package dev.lineup.sequencer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.sequencer.stream.QueueStoreKind;
import dev.lineup.service.kafka.KafkaConnection;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.PropertySource;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * The sequencer's settings as an operator sets them, by environment variable name, reach Kafka
 * Streams. The context is built without starting the stream (no broker is needed to read them).
 */
class SequencerSettingsTest {

  private static SequencerSettings settings(Map<String, Object> overrides) {
    return settings(PropertySource.of("test", overrides));
  }

  /** The settings as environment variables give them ({@code LINEUP_SEQUENCER_...}). */
  private static SequencerSettings fromEnvironmentVariables(Map<String, Object> variables) {
    return settings(
        PropertySource.of(
            "environment", variables, PropertySource.PropertyConvention.ENVIRONMENT_VARIABLE));
  }

  private static SequencerSettings settings(PropertySource overrides) {
    return settings(overrides, KafkaConnection.plaintext("broker:9092"));
  }

  private static SequencerSettings settings(PropertySource overrides, KafkaConnection kafka) {
    ApplicationContext context =
        ApplicationContext.builder()
            .environments(SequencerApplication.ENVIRONMENT)
            .deduceEnvironment(false)
            .propertySources(overrides)
            .build();
    // Only the environment: the @Context SequencerRuntime would start the stream.
    context.getEnvironment().start();
    return new SequencerSettings(
        context.getEnvironment(),
        kafka,
        context.getProperty("lineup.sequencer.application-id", String.class).orElseThrow(),
        "/var/lib/lineup",
        1,
        "sequencer-0.lineup-sequencer:8082",
        "sequencer-0",
        3,
        context.getProperty("lineup.sequencer.standby-replicas", Integer.class).orElse(0),
        java.time.Duration.ofMillis(100),
        java.time.Duration.ofMillis(50),
        java.time.Duration.ofMillis(10),
        context.getProperty("lineup.sequencer.state-store", String.class).orElseThrow(),
        256L * 1024 * 1024,
        "priority",
        java.time.Duration.ofMinutes(1),
        10_000,
        java.time.Duration.ofDays(7),
        java.time.Duration.ofHours(24),
        100,
        100,
        java.time.Duration.ofDays(1),
        10_000);
  }

  @Test
  void standbyReplicasAndReplicationReachKafkaStreamsWithExactlyOnceKept() {
    Properties props =
        SequencerRuntime.properties(settings(Map.of("lineup.sequencer.standby-replicas", 1)));

    assertThat(props.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)).isEqualTo(1);
    assertThat(props.get(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(3);
    assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
        .isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    assertThat(props.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(dev.lineup.sequencer.stream.BoundedRocksDbMemory.class);
    assertThat(props.get(dev.lineup.sequencer.stream.BoundedRocksDbMemory.BYTES_CONFIG))
        .isEqualTo(256L * 1024 * 1024);
  }

  @Test
  void noStandbyReplicasUnlessAskedAndANegativeCountIsRefused() {
    assertThat(
            SequencerRuntime.properties(settings(Map.of()))
                .get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG))
        .isEqualTo(0);
    assertThatThrownBy(() -> settings(Map.of("lineup.sequencer.standby-replicas", -1)))
        .hasMessageContaining("lineup.sequencer.standby-replicas must be 0 or more");
  }

  @Test
  void theQueueStoreIsRocksDbUnlessTheHeapOrTiersAreAskedForAndAnythingElseIsRefusedByName() {
    assertThat(settings(Map.of()).stateStore()).isEqualTo(QueueStoreKind.ROCKSDB);
    assertThat(settings(Map.of("lineup.sequencer.state-store", "heap")).stateStore())
        .isEqualTo(QueueStoreKind.HEAP);
    assertThat(settings(Map.of("lineup.sequencer.state-store", "tiered")).stateStore())
        .isEqualTo(QueueStoreKind.TIERED);
    assertThat(settings(Map.of("lineup.sequencer.state-store", " RocksDB ")).stateStore())
        .isEqualTo(QueueStoreKind.ROCKSDB);
    assertThatThrownBy(() -> settings(Map.of("lineup.sequencer.state-store", "memory")))
        .hasMessageContaining(
            "lineup.sequencer.state-store must be rocksdb, heap or tiered, not 'memory'");
  }

  @Test
  void aKafkaPropertySetByEnvironmentVariableReachesKafkaStreamsAsItsOneName() {
    // An environment variable reads as every mix of '.' and '-' its underscores may stand for;
    // Kafka's names have no '-', and the other readings would reach Kafka as unknown properties.
    Properties props =
        SequencerRuntime.properties(
            fromEnvironmentVariables(
                Map.of("LINEUP_SEQUENCER_KAFKA_MAIN_CONSUMER_MAX_POLL_RECORDS", "100")));

    assertThat(props).containsEntry("main.consumer.max.poll.records", "100");
    assertThat(props.stringPropertyNames()).noneMatch(name -> name.contains("-"));
  }

  @Test
  void theStreamThreadPollsForTwoMillisecondsUnlessAnOperatorSetsItsPollBack() {
    // A commit falls due only between polls: the shorter poll is what keeps a release's commit
    // near the interval's end at half load (docs/BENCHMARKS.md, finding 69).
    assertThat(SequencerRuntime.properties(settings(Map.of())))
        .containsEntry(StreamsConfig.POLL_MS_CONFIG, 2L);
    assertThat(
            SequencerRuntime.properties(
                fromEnvironmentVariables(Map.of("LINEUP_SEQUENCER_KAFKA_POLL_MS", "10"))))
        .containsEntry(StreamsConfig.POLL_MS_CONFIG, "10");
  }

  @Test
  void aKafkaPropertyWhoseNameHasADashOfItsOwnIsKept() {
    Properties props =
        SequencerRuntime.properties(
            settings(Map.of("lineup.sequencer.kafka.client.tag.rack-zone", "eu-west-1a")));

    assertThat(props).containsEntry("client.tag.rack-zone", "eu-west-1a");
  }

  @Test
  void theConnectionsTlsAndSaslSettingsReachEveryClientOfKafkaStreams() {
    KafkaConnection sasl =
        KafkaConnection.of(
            "broker:9093",
            Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "ssl.truststore.location", "/etc/lineup/kafka/truststore.p12"));

    Properties props = SequencerRuntime.properties(settings(PropertySource.of(Map.of()), sasl));

    // Unprefixed, Kafka Streams gives them to its consumers, producers and admin client alike.
    assertThat(props)
        .containsEntry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("ssl.truststore.location", "/etc/lineup/kafka/truststore.p12");
  }

  @Test
  void aLeaseSetByEnvironmentVariableIsTheTypesLease() {
    SequencerSettings settings =
        fromEnvironmentVariables(Map.of("LINEUP_SEQUENCER_LEASE_SCRIPT_RUN", "20m"));

    assertThat(settings.queue().leaseByType())
        .containsEntry(dev.lineup.avro.ActivityType.SCRIPT_RUN, java.time.Duration.ofMinutes(20));
  }
}
