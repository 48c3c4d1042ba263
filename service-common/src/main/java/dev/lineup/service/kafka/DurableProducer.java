package dev.lineup.service.kafka;

import dev.lineup.schemas.Topic;
import dev.lineup.service.problem.ApiException;
import io.micronaut.http.HttpStatus;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * How an API call writes to Kafka before it answers: acks=all and idempotent, so a record counts as
 * written only once every in-sync replica has it, and a caller waits at most {@code timeout} for
 * that; past it, or when Kafka refuses, the call answers 503 and the caller retries. A send also
 * waits at most {@code timeout} for the topic's metadata, so a gone broker costs a caller one
 * timeout, not Kafka's default minute of blocking.
 */
public final class DurableProducer {

  private DurableProducer() {}

  /** A producer for {@code topic} whose sends are durable within {@code timeout}. */
  public static <K, V> KafkaProducer<K, V> create(
      String bootstrapServers, String clientId, Duration timeout, Topic<K, V> topic) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.LINGER_MS_CONFIG,
            1,
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            (int) timeout.toMillis(),
            ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
            // Kafka requires delivery.timeout >= linger + request.timeout.
            (int) Math.max(1_000, timeout.toMillis() / 2),
            // send() and partitionsFor() wait for the topic's metadata before anything is queued,
            // 60 s by default, and without a broker a caller would hang that long before its own
            // timeout even starts: they wait no longer than a send may take.
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            timeout.toMillis(),
            ProducerConfig.CLIENT_ID_CONFIG,
            clientId),
        topic.keySerde().serializer(),
        topic.valueSerde().serializer());
  }

  /**
   * Waits until {@code sent} is durable; a 503 saying {@code what} could not be stored if Kafka
   * refuses or does not answer within {@code timeout}.
   */
  public static void await(Future<RecordMetadata> sent, Duration timeout, String what) {
    try {
      sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          "Queue unavailable",
          what + " could not be stored: try again");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "Interrupted", "shutting down");
    }
  }
}
