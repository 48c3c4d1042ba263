package dev.lineup.devstack;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What an upstream producer and an operator do with the Kafka front door, for tests: write requests
 * to {@code lineup.requests}, read {@code lineup.requests.dlq}, and watch what was released.
 */
final class RequestsTopic {

  /** The bootstrap servers and whatever else reaching the cluster takes (TLS, SASL). */
  private final Map<String, Object> connection;

  RequestsTopic(String bootstrap) {
    this(Map.of("bootstrap.servers", bootstrap));
  }

  RequestsTopic(Map<String, Object> connection) {
    this.connection = Map.copyOf(connection);
  }

  private Map<String, Object> with(Map<String, Object> settings) {
    Map<String, Object> config = new HashMap<>(connection);
    config.putAll(settings);
    return config;
  }

  /** Writes {@code request}, keyed by its host, and waits for the broker's ack. */
  void send(ActivityRequest request) throws Exception {
    var topic = Topics.REQUESTS;
    sendRaw(request.getHostId(), topic.valueSerde().serializer().serialize(topic.name(), request));
  }

  /** Writes any bytes as a request of {@code host}. */
  void sendRaw(String host, byte[] value) throws Exception {
    try (var producer =
        new KafkaProducer<String, byte[]>(
            connection, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), host, value)).get();
    }
  }

  /** The reason of the first dead letter of {@code host}'s requests, waiting up to 30 s. */
  Optional<String> deadLetterReason(String host) {
    for (ConsumerRecord<byte[], byte[]> r :
        read(Topics.REQUESTS_DLQ.name(), Duration.ofSeconds(30), host)) {
      return Optional.of(DeadLetterHeaders.read(r.headers(), DeadLetterHeaders.REASON));
    }
    return Optional.empty();
  }

  /** How often {@code activityId} was released on the script channel so far. */
  long releasesOf(String activityId, String host) {
    var topic = Topics.RELEASED_SCRIPT;
    return read(topic.name(), Duration.ofSeconds(3), null).stream()
        .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals(host))
        .map(r -> topic.valueSerde().deserializer().deserialize(topic.name(), r.value()))
        .map(ReleasedActivity::getActivity)
        .filter(a -> a.getActivityId().equals(activityId))
        .count();
  }

  /**
   * Committed records of {@code topic} from the beginning; with {@code untilKey}, stops at the
   * first record with that key (or after {@code patience}).
   */
  private List<ConsumerRecord<byte[], byte[]>> read(
      String topic, Duration patience, String untilKey) {
    List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<byte[], byte[]>(
            with(
                Map.of(
                    "isolation.level",
                    "read_committed",
                    "group.id",
                    "test-reader-" + UUID.randomUUID(),
                    "auto.offset.reset",
                    "earliest")),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + patience.toNanos();
      while (System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          if (untilKey == null) {
            found.add(r);
          } else if (r.key() != null
              && new String(r.key(), StandardCharsets.UTF_8).equals(untilKey)) {
            found.add(r);
            return found;
          }
        }
      }
    }
    return found;
  }
}
