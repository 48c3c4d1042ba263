package dev.lineup.service.kafka;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Every producer's settings, built here and nowhere else, from {@code lineup.kafka.producer.*}
 * (defaults in each service's application yml, and below). Three kinds of producer:
 *
 * <ul>
 *   <li>{@link #durable}: an API call waits on each send before it answers;
 *   <li>{@link #transactional}: a batch, or a consumed batch with its offsets, commits at once;
 *   <li>{@link #deadLetters}: a consumer's refused records, each acknowledged before the commit.
 * </ul>
 *
 * All are acks=all and idempotent, so a record counts as written once every in-sync replica has it,
 * and a retried send never writes it twice. Weakening either breaks CONTRACT.md's durability rules;
 * they are configurable so a measurement can say what they cost, not to be turned off.
 */
@Singleton
public final class ProducerSettings {

  /** The settings the services run with unless configured otherwise. */
  public static final ProducerSettings DEFAULTS =
      new ProducerSettings(
          "all", true, "none", Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(60));

  private final String acks;
  private final boolean idempotence;
  private final String compression;
  private final Duration durableLinger;
  private final Duration linger;
  private final Duration maxBlock;

  /**
   * @param durableLinger how long a send an API call waits on may wait for company
   * @param linger the same for transactional and dead-letter producers, whose sends go in groups
   * @param maxBlock how long a producer without a timeout of its own (the Kafka front door) may
   *     block on metadata or a full buffer
   */
  @Inject
  public ProducerSettings(
      @Value("${lineup.kafka.producer.acks:all}") String acks,
      @Value("${lineup.kafka.producer.idempotence:true}") boolean idempotence,
      @Value("${lineup.kafka.producer.compression:none}") String compression,
      @Value("${lineup.kafka.producer.durable-linger:1ms}") Duration durableLinger,
      @Value("${lineup.kafka.producer.linger:5ms}") Duration linger,
      @Value("${lineup.kafka.producer.max-block:60s}") Duration maxBlock) {
    this.acks = acks;
    this.idempotence = idempotence;
    this.compression = compression;
    this.durableLinger = durableLinger;
    this.linger = linger;
    this.maxBlock = maxBlock;
  }

  /**
   * For sends an API call waits on: each is durable within {@code timeout} or fails. A send also
   * waits at most {@code timeout} for the topic's metadata, so a gone broker costs a caller one
   * timeout, not Kafka's default minute of blocking.
   */
  public Map<String, Object> durable(
      KafkaConnection connection, String clientId, Duration timeout) {
    Map<String, Object> config = common(connection, clientId, durableLinger);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    // Kafka requires delivery.timeout >= linger + request.timeout.
    config.put(
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1_000, timeout.toMillis() / 2));
    // send() and partitionsFor() wait for the topic's metadata before anything is queued, and
    // without a broker a caller would hang that long before its own timeout even starts: they
    // wait no longer than a send may take.
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    return config;
  }

  /**
   * For a producer whose sends commit in transactions under {@code transactionalId}, which must be
   * stable per instance (a restart fences its predecessor) and never shared between instances.
   *
   * @param clientId null for Kafka's own
   * @param maxBlock how long send and commit may block; null for {@code
   *     lineup.kafka.producer.max-block}
   * @param transactionTimeout null for the broker's default
   */
  public Map<String, Object> transactional(
      KafkaConnection connection,
      String transactionalId,
      String clientId,
      Duration maxBlock,
      Duration transactionTimeout) {
    Map<String, Object> config = common(connection, clientId, linger);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(
        ProducerConfig.MAX_BLOCK_MS_CONFIG,
        (maxBlock == null ? this.maxBlock : maxBlock).toMillis());
    if (transactionTimeout != null) {
      config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) transactionTimeout.toMillis());
    }
    return config;
  }

  /** For a consumer's dead letters, each acknowledged within {@code ack} or retried. */
  public Map<String, Object> deadLetters(
      KafkaConnection connection, String clientId, Duration ack) {
    Map<String, Object> config = common(connection, clientId, linger);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) ack.toMillis());
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ack.toMillis());
    // Kafka requires delivery.timeout >= linger + request.timeout.
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ack.toMillis() / 2);
    return config;
  }

  private Map<String, Object> common(KafkaConnection connection, String clientId, Duration linger) {
    Map<String, Object> config = connection.clientConfig();
    if (clientId != null) {
      config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    }
    config.put(ProducerConfig.ACKS_CONFIG, acks);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    config.put(ProducerConfig.LINGER_MS_CONFIG, (int) linger.toMillis());
    return config;
  }
}
