package dev.lineup.sequencer.stream;

import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Enqueues {@code perHost} scripts on each of {@code hosts} hosts, interleaved, as intake would.
 */
final class Load {

  private Load() {}

  /** The activity ids per host, in the order they were accepted. */
  static Map<String, List<String>> enqueue(
      String bootstrapServers, String prefix, int hosts, int perHost) {
    Map<String, List<String>> accepted = new LinkedHashMap<>();
    try (KafkaProducer<String, Command> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.LINGER_MS_CONFIG,
                5),
            Topics.COMMANDS.keySerde().serializer(),
            Topics.COMMANDS.valueSerde().serializer())) {
      for (int k = 0; k < perHost; k++) {
        for (int h = 0; h < hosts; h++) {
          String host = prefix + "-host-" + h;
          String id = UUID.randomUUID().toString();
          var activity = SequencerHarness.script(host, id).setAcceptedAt(Instant.now()).build();
          producer.send(
              new org.apache.kafka.clients.producer.ProducerRecord<>(
                  Topics.COMMANDS.name(),
                  host,
                  Command.newBuilder()
                      .setCommandId(UUID.randomUUID().toString())
                      .setHostId(host)
                      .setIssuedAt(Instant.now())
                      .setBody(Enqueue.newBuilder().setActivity(activity).build())
                      .build()));
          accepted.computeIfAbsent(host, x -> new ArrayList<>()).add(id);
        }
      }
      producer.flush();
    }
    return accepted;
  }
}
