package dev.lineup.bench;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/** The Kafka clients of the bench's simulated devices: what they read, and how they answer. */
final class DeviceClients {

  /** The released topics of every channel, which the simulated devices all read. */
  static final List<String> RELEASED =
      List.of(
          Topics.RELEASED_SCRIPT.name(),
          Topics.RELEASED_INSTALLER.name(),
          Topics.RELEASED_MDM.name());

  private DeviceClients() {}

  /** Releases as a device sees them: committed ones, from the end, as soon as they are there. */
  static KafkaConsumer<String, ReleasedActivity> releases(String bootstrap, String group) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG,
            group,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "latest",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            5000,
            // The broker's default fetch wait, as the gateway's consumer has: a read_committed
            // fetch is answered as soon as a commit makes releases visible, so a shorter wait only
            // adds empty fetches (10 ms cost about 70 a second at 1,000 act/s, and the released ->
            // seen p50 was 35 ms either way; docs/BENCHMARKS.md, finding 61).
            ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
            500),
        Topics.RELEASED_SCRIPT.keySerde().deserializer(),
        Topics.RELEASED_SCRIPT.valueSerde().deserializer());
  }

  /** Where a device writes its results, as the gateway would. */
  static KafkaProducer<String, ActivityResult> results(String bootstrap) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.LINGER_MS_CONFIG,
            1,
            ProducerConfig.ACKS_CONFIG,
            "all"),
        Topics.RESULTS.keySerde().serializer(),
        Topics.RESULTS.valueSerde().serializer());
  }
}
