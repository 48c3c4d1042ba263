package dev.lineup.devstack;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/** Reads {@code lineup.events} from the start and counts what happened to each activity. */
final class EventAudit {

  private EventAudit() {}

  record Counts(int released, int succeeded, int terminal) {}

  /** Per accepted activity: how many RELEASED, SUCCEEDED and terminal transitions the log has. */
  static Map<String, Counts> count(String bootstrap, Set<String> accepted) {
    Map<String, int[]> counts = new HashMap<>();
    try (var consumer =
        new KafkaConsumer<>(
            Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "fault-audit-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            Topics.EVENTS.keySerde().deserializer(),
            Topics.EVENTS.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.EVENTS.name()));
      int idle = 0;
      while (idle < 5) {
        var records = consumer.poll(Duration.ofMillis(500));
        idle = records.isEmpty() ? idle + 1 : 0;
        for (var r : records) {
          LifecycleEvent e = r.value();
          if (!accepted.contains(e.getActivityId()) || Lifecycle.isNote(e.getReason())) {
            continue;
          }
          int[] c = counts.computeIfAbsent(e.getActivityId(), k -> new int[3]);
          c[0] += e.getState() == ActivityState.RELEASED ? 1 : 0;
          c[1] += e.getState() == ActivityState.SUCCEEDED ? 1 : 0;
          c[2] += Lifecycle.isTerminal(e.getState()) ? 1 : 0;
        }
      }
    }
    Map<String, Counts> result = new HashMap<>();
    counts.forEach((id, c) -> result.put(id, new Counts(c[0], c[1], c[2])));
    return result;
  }
}
