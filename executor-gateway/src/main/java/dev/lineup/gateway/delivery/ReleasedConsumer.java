package dev.lineup.gateway.delivery;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.ConsumerLoop;
import dev.lineup.service.kafka.ConsumerService;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Takes released script and installer activities into the deliveries table, where agents claim
 * them. Offsets are committed after the rows are, and rows are keyed by activity and attempt, so a
 * crash between the two re-records nothing twice and loses nothing. A release the database refuses
 * goes to {@code lineup.gateway.dlq} (rule 14) and the rest are recorded.
 *
 * <p>MDM releases have a consumer of their own ({@link MdmReleasedConsumer}): an MDM server being
 * down holds up MDM commands only, never the agents' tasks.
 */
@Context
public final class ReleasedConsumer extends ConsumerService<String, ReleasedActivity> {

  public ReleasedConsumer(
      Deliveries deliveries,
      ProducerSettings producerSettings,
      KafkaConnection kafka,
      @Value("${lineup.gateway.group-id}") String groupId,
      @Value("${lineup.gateway.instance-id:}") String instanceId) {
    super(
        "released-consumer",
        new ConsumerLoop<String, ReleasedActivity>(
            "gateway-released",
            GroupMembership.member(kafka, groupId, instanceId),
            producerSettings,
            Topics.GATEWAY_DLQ,
            records -> deliveries.record(values(records)),
            Topics.RELEASED_SCRIPT,
            Topics.RELEASED_INSTALLER));
  }

  /** The records' released activities; a tombstone (null value) releases nothing. */
  static List<ReleasedActivity> values(List<ConsumerRecord<String, ReleasedActivity>> records) {
    return records.stream().map(ConsumerRecord::value).filter(Objects::nonNull).toList();
  }
}
