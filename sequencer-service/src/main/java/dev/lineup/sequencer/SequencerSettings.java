package dev.lineup.sequencer;

import dev.lineup.avro.ActivityType;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.queue.Ranking;
import dev.lineup.sequencer.stream.QueueStoreKind;
import dev.lineup.service.kafka.KafkaConnection;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.env.Environment;
import io.micronaut.core.convert.ConversionService;
import io.micronaut.core.convert.format.ReadableBytes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The sequencer's configuration, read once; every knob and default is in application-sequencer.yml.
 */
@Singleton
public final class SequencerSettings {

  private final KafkaConnection kafka;
  private final String applicationId;
  private final String stateDir;
  private final int streamThreads;
  private final String advertisedEndpoint;
  private final String instanceId;
  private final int replicationFactor;
  private final int standbyReplicas;
  private final Duration tick;
  private final Duration commitInterval;
  private final Duration handoffCommitSpacing;
  private final QueueStoreKind stateStore;
  private final long rocksDbMemory;
  private final Map<String, Object> kafkaOverrides;
  private final QueueSettings queue;

  public SequencerSettings(
      Environment environment,
      KafkaConnection kafka,
      @Value("${lineup.sequencer.application-id}") String applicationId,
      @Value("${lineup.sequencer.state-dir}") String stateDir,
      @Value("${lineup.sequencer.stream-threads}") int streamThreads,
      @Value("${lineup.sequencer.advertised-endpoint}") String advertisedEndpoint,
      @Value("${lineup.sequencer.instance-id:}") String instanceId,
      @Value("${lineup.sequencer.replication-factor}") int replicationFactor,
      @Value("${lineup.sequencer.standby-replicas:0}") int standbyReplicas,
      @Value("${lineup.sequencer.tick}") Duration tick,
      @Value("${lineup.sequencer.commit-interval}") Duration commitInterval,
      @Value("${lineup.sequencer.handoff-commit-spacing}") Duration handoffCommitSpacing,
      @Value("${lineup.sequencer.state-store:rocksdb}") String stateStore,
      @ReadableBytes @Value("${lineup.sequencer.rocksdb-memory}") long rocksDbMemory,
      @Value("${lineup.sequencer.ranking}") String ranking,
      @Value("${lineup.sequencer.aging-step}") Duration agingStep,
      @Value("${lineup.sequencer.max-upcoming-per-lane}") int maxUpcomingPerLane,
      @Value("${lineup.sequencer.max-upcoming-age}") Duration maxUpcomingAge,
      @Value("${lineup.sequencer.default-lease}") Duration defaultLease,
      @Value("${lineup.sequencer.system-releases-per-second}") double systemPerSecond,
      @Value("${lineup.sequencer.system-release-burst}") double systemBurst,
      @Value("${lineup.sequencer.finished-retention}") Duration finishedRetention,
      @Value("${lineup.sequencer.cancel-matching-per-step}") int cancelMatchingPerStep) {
    this.kafka = kafka;
    this.applicationId = applicationId;
    this.stateDir = stateDir;
    this.streamThreads = streamThreads;
    this.advertisedEndpoint = advertisedEndpoint;
    this.instanceId = instanceId == null || instanceId.isBlank() ? null : instanceId;
    this.replicationFactor = replicationFactor;
    if (standbyReplicas < 0) {
      throw new IllegalArgumentException(
          "lineup.sequencer.standby-replicas must be 0 or more, not " + standbyReplicas);
    }
    this.standbyReplicas = standbyReplicas;
    this.tick = tick;
    this.commitInterval = commitInterval;
    if (handoffCommitSpacing.isNegative()) {
      throw new IllegalArgumentException(
          "lineup.sequencer.handoff-commit-spacing must be 0 or more, not " + handoffCommitSpacing);
    }
    this.handoffCommitSpacing = handoffCommitSpacing;
    this.stateStore = QueueStoreKind.of(stateStore);
    this.rocksDbMemory = rocksDbMemory;
    this.kafkaOverrides = kafkaProperties(environment.getProperties("lineup.sequencer.kafka"));
    Map<ActivityType, Duration> leases = new EnumMap<>(ActivityType.class);
    environment
        .getProperties("lineup.sequencer.lease")
        .forEach(
            (type, value) ->
                leases.put(
                    // script-run in YAML; script.run and script-run from an environment variable.
                    ActivityType.valueOf(
                        type.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_')),
                    ConversionService.SHARED
                        .convert(value, Duration.class)
                        .orElseThrow(
                            () ->
                                new IllegalArgumentException(
                                    "lineup.sequencer.lease." + type + " is not a duration"))));
    this.queue =
        new QueueSettings(
            Ranking.valueOf(ranking.toUpperCase(Locale.ROOT)),
            agingStep,
            maxUpcomingPerLane,
            maxUpcomingAge,
            leases,
            defaultLease,
            systemPerSecond,
            systemBurst,
            finishedRetention,
            cancelMatchingPerStep);
  }

  /** Where Kafka is and how to reach it (TLS, SASL): every client of the stream starts there. */
  public KafkaConnection kafka() {
    return kafka;
  }

  public String applicationId() {
    return applicationId;
  }

  public String stateDir() {
    return stateDir;
  }

  public int streamThreads() {
    return streamThreads;
  }

  /** host:port other instances and clients reach this one's HTTP API at. */
  public String advertisedEndpoint() {
    return advertisedEndpoint;
  }

  /**
   * A stable name for this instance (static group membership): a restart under the same name takes
   * its partitions straight back instead of waiting out the old member's session. Null: dynamic.
   */
  public String instanceId() {
    return instanceId;
  }

  public int replicationFactor() {
    return replicationFactor;
  }

  /**
   * Warm copies of each task's state kept on other instances, so a failover resumes from a copy
   * instead of restoring the changelog from the start.
   */
  public int standbyReplicas() {
    return standbyReplicas;
  }

  /**
   * How often the exactly-once transaction commits. Releases and events become visible to
   * read_committed consumers only then, so this bounds hand-off latency from below; shorter means
   * more, smaller transactions.
   */
  /** Where each task's queue store keeps its state: RocksDB (the default) or the heap. */
  public QueueStoreKind stateStore() {
    return stateStore;
  }

  /**
   * The budget every RocksDB store of the process shares, in bytes ({@code BoundedRocksDbMemory}).
   */
  public long rocksDbMemory() {
    return rocksDbMemory;
  }

  public Duration commitInterval() {
    return commitInterval;
  }

  /**
   * The least time between two commits asked for early by releases, and the age past which a
   * record's release asks for none (zero: the commit interval alone).
   */
  public Duration handoffCommitSpacing() {
    return handoffCommitSpacing;
  }

  /**
   * Kafka Streams, consumer and producer properties set as they are ({@code
   * lineup.sequencer.kafka.fetch.max.wait.ms: 50}), applied last: for tuning what Lineup has no
   * knob for. The exactly-once guarantee is not among them.
   */
  public Map<String, Object> kafkaOverrides() {
    return kafkaOverrides;
  }

  /**
   * An environment variable ({@code LINEUP_SEQUENCER_KAFKA_FETCH_MAX_WAIT_MS}) reads as every mix
   * of '.' and '-' its underscores may stand for. Kafka's own property names have no '-', so a name
   * with one whose reading with dots is there too, with the same value, is such a reading and is
   * dropped: only the dotted one reaches Kafka. A name with a '-' of its own (a client tag's, say,
   * set in YAML) stays.
   */
  private static Map<String, Object> kafkaProperties(Map<String, Object> configured) {
    Map<String, Object> kept = new HashMap<>(configured);
    kept.keySet()
        .removeIf(
            name ->
                name.contains("-")
                    && Objects.equals(
                        configured.get(name.replace('-', '.')), configured.get(name)));
    return Map.copyOf(kept);
  }

  public Duration tick() {
    return tick;
  }

  public QueueSettings queue() {
    return queue;
  }
}
