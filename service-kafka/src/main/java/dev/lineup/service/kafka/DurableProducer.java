package dev.lineup.service.kafka;

import dev.lineup.schemas.Topic;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * How an API call writes to Kafka before it answers: acks=all and idempotent, so a record counts as
 * written only once every in-sync replica has it, and a caller waits at most {@code timeout} for
 * that; past it, or when Kafka refuses, the call fails with {@link NotStoredException} (an API
 * answers 503) and the caller retries. A send also waits at most {@code timeout} for the topic's
 * metadata, so a gone broker costs a caller one timeout, not Kafka's default minute of blocking.
 */
public final class DurableProducer {

  private DurableProducer() {}

  /** A producer for {@code topic} whose sends are durable within {@code timeout}. */
  public static <K, V> KafkaProducer<K, V> create(
      KafkaConnection connection, String clientId, Duration timeout, Topic<K, V> topic) {
    return create(ProducerSettings.DEFAULTS, connection, clientId, timeout, topic);
  }

  /** The same, with the service's {@code lineup.kafka.producer} settings. */
  public static <K, V> KafkaProducer<K, V> create(
      ProducerSettings settings,
      KafkaConnection connection,
      String clientId,
      Duration timeout,
      Topic<K, V> topic) {
    return new KafkaProducer<>(
        settings.durable(connection, clientId, timeout),
        topic.keySerde().serializer(),
        topic.valueSerde().serializer());
  }

  /**
   * Waits until {@code sent} is durable; {@link NotStoredException} saying {@code what} could not
   * be stored if Kafka refuses or does not answer within {@code timeout}.
   */
  public static void await(Future<RecordMetadata> sent, Duration timeout, String what) {
    try {
      sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new NotStoredException(what + " could not be stored", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotStoredException(what + " may not be stored: the service is shutting down", e);
    }
  }
}
