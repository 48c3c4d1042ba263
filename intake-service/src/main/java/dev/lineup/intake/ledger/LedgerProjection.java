package dev.lineup.intake.ledger;

import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.ConsumerLoop;
import dev.lineup.service.kafka.ConsumerService;
import dev.lineup.service.kafka.FetchGathering;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
      KafkaConnection kafka,
      @Value("${lineup.intake.ledger.group-id}") String groupId,
      @Value("${lineup.intake.ledger.max-batch}") int maxBatch,
      @Value("${lineup.intake.ledger.gather}") Duration gather,
      @Value("${lineup.intake.instance-id}") String instanceId) {
    super(
        "ledger-projection",
        new ConsumerLoop<String, LifecycleEvent>(
            "ledger-projection",
            // A batch of at most maxBatch events, gathered for up to `gather`: more of each
            // activity's events in one batch, to be folded into one write (FoldedEvents). Events
            // are about 200 bytes on the wire.
            FetchGathering.gather(
                GroupMembership.member(kafka, groupId, instanceId), maxBatch, 200, gather),
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
}
