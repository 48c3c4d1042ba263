package dev.lineup.sequencer.stream;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Simulated devices: every released activity they see succeeds at once, as a gateway reports. */
final class Devices implements AutoCloseable {

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger answered = new AtomicInteger();
  private final Thread thread;

  Devices(String bootstrapServers) {
    KafkaConsumer<String, ReleasedActivity> released =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "simulated-devices",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            Topics.RELEASED_SCRIPT.keySerde().deserializer(),
            Topics.RELEASED_SCRIPT.valueSerde().deserializer());
    KafkaProducer<String, ActivityResult> results =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG,
                2),
            Topics.RESULTS.keySerde().serializer(),
            Topics.RESULTS.valueSerde().serializer());
    thread =
        new Thread(
            () -> {
              try (released;
                  results) {
                released.subscribe(List.of(Topics.RELEASED_SCRIPT.name()));
                while (running.get()) {
                  for (var r : released.poll(Duration.ofMillis(100))) {
                    var a = r.value().getActivity();
                    results.send(
                        new ProducerRecord<>(
                            Topics.RESULTS.name(),
                            a.getHostId(),
                            Results.succeeded(r.value(), Instant.now()).build()));
                    answered.incrementAndGet();
                  }
                  results.flush();
                }
              }
            },
            "simulated-devices");
    thread.setDaemon(true);
    thread.start();
  }

  int answered() {
    return answered.get();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(10_000);
  }
}
