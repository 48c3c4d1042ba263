package dev.lineup.intake.ledger;

import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.ConsumerLoop;
import dev.lineup.service.kafka.ConsumerService;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Keeps the ledger up with {@code lineup.events}: each polled batch is written in one transaction,
 * then its offsets are committed. A crash in between replays the batch, which the sequence guard
 * makes harmless.
 */
@Context
public final class LedgerProjection extends ConsumerService<String, LifecycleEvent> {

  public LedgerProjection(
      Ledger ledger,
      ProducerSettings producerSettings,
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.intake.ledger.group-id}") String groupId,
      @Value("${lineup.intake.ledger.max-batch}") int maxBatch,
      @Value("${lineup.intake.ledger.gather}") Duration gather,
      @Value("${lineup.intake.instance-id}") String instanceId) {
    super(
        "ledger-projection",
        new ConsumerLoop<String, LifecycleEvent>(
            "ledger-projection",
            gathering(
                GroupMembership.member(bootstrapServers, groupId, instanceId), maxBatch, gather),
            producerSettings,
            Topics.LEDGER_DLQ,
            records -> {
              List<LifecycleEvent> events = new ArrayList<>(records.size());
              for (ConsumerRecord<String, LifecycleEvent> r : records) {
                if (r.value() != null) {
                  events.add(r.value());
                }
              }
              ledger.apply(events);
            },
            Topics.EVENTS));
  }

  /**
   * A batch of at most {@code maxBatch} events, and a fetch the broker answers once {@code gather}
   * has passed or a batch's worth is there, whichever is first: more of each activity's events in
   * one batch, to be folded into one write ({@link FoldedEvents}), and fewer fetches.
   */
  private static Map<String, Object> gathering(
      Map<String, Object> config, int maxBatch, Duration gather) {
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxBatch);
    if (gather.toMillis() > 0) {
      // Lifecycle events are about 200 bytes on the wire: a full batch, roughly. Capped well under
      // what the broker counts of one partition in a fetch (max.partition.fetch.bytes, 1 MiB), so
      // a backlog on a single partition is never held back waiting for more than it can give.
      config.put(
          ConsumerConfig.FETCH_MIN_BYTES_CONFIG, (int) Math.min(maxBatch * 200L, 512 * 1024));
      config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) Math.min(gather.toMillis(), 5_000));
    }
    return config;
  }
}
