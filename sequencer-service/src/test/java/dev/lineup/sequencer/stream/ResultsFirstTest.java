package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.Topics;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A device's result does not wait behind a burst of enqueues written before it: the sequencer takes
 * it first, so the host's next release is not held up by the whole burst.
 */
@ExtendWith(LineupInfrastructure.class)
class ResultsFirstTest {

  @Test
  void aResultIsTakenBeforeTheOlderEnqueuesBufferedBesideIt(EmbeddedKafka kafka) throws Exception {
    String bootstrap = kafka.bootstrapServers();
    String first = Load.enqueue(bootstrap, "results-first", 1, 1).values().iterator().next().get(0);
    ReleasedActivity released;
    try (SequencerNode node =
        new SequencerNode(bootstrap, Files.createTempDirectory("results-first-a")).start()) {
      node.awaitRunning(Duration.ofMinutes(1));
      released = awaitReleased(bootstrap, first);
    }

    // While no sequencer runs: a burst of enqueues for the host, then the result of its release.
    List<String> burst =
        Load.enqueue(bootstrap, "results-first", 1, 300).values().iterator().next();
    Thread.sleep(5);
    try (KafkaProducer<String, dev.lineup.avro.ActivityResult> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            Topics.RESULTS.keySerde().serializer(),
            Topics.RESULTS.valueSerde().serializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.RESULTS.name(),
                  released.getActivity().getHostId(),
                  Results.succeeded(released, Instant.now()).build()))
          .get();
    }

    try (SequencerNode node =
        new SequencerNode(bootstrap, Files.createTempDirectory("results-first-b")).start()) {
      node.awaitRunning(Duration.ofMinutes(1));
      List<LifecycleEvent> events =
          readEvents(bootstrap, e -> e.getActivityId().equals(burst.get(burst.size() - 1)));
      int succeeded =
          indexOf(
              events,
              e -> e.getActivityId().equals(first) && e.getState() == ActivityState.SUCCEEDED);
      int firstOfBurst = indexOf(events, e -> burst.contains(e.getActivityId()));
      assertThat(succeeded).as("the result's event").isNotNegative();
      assertThat(succeeded)
          .as("the result was taken before the %d enqueues written ahead of it", burst.size())
          .isLessThan(firstOfBurst);
    }
  }

  private static int indexOf(List<LifecycleEvent> events, Predicate<LifecycleEvent> which) {
    for (int i = 0; i < events.size(); i++) {
      if (which.test(events.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static ReleasedActivity awaitReleased(String bootstrap, String activityId) {
    try (KafkaConsumer<String, ReleasedActivity> consumer =
        new KafkaConsumer<>(
            consumerConfig(bootstrap),
            Topics.RELEASED_SCRIPT.keySerde().deserializer(),
            Topics.RELEASED_SCRIPT.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.RELEASED_SCRIPT.name()));
      long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value().getActivity().getActivityId().equals(activityId)) {
            return r.value();
          }
        }
      }
    }
    throw new AssertionError(activityId + " was not released");
  }

  /** The events in topic order (one host: one partition), up to the one {@code last} matches. */
  private static List<LifecycleEvent> readEvents(String bootstrap, Predicate<LifecycleEvent> last) {
    List<LifecycleEvent> events = new ArrayList<>();
    try (KafkaConsumer<String, LifecycleEvent> consumer =
        new KafkaConsumer<>(
            consumerConfig(bootstrap),
            Topics.EVENTS.keySerde().deserializer(),
            Topics.EVENTS.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.EVENTS.name()));
      long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          events.add(r.value());
          if (last.test(r.value())) {
            return events;
          }
        }
      }
    }
    throw new AssertionError("the burst was not all accepted; saw " + events.size() + " events");
  }

  private static Map<String, Object> consumerConfig(String bootstrap) {
    return Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG,
        "results-first-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        "read_committed");
  }
}
