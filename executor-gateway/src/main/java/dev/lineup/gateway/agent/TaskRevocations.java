package dev.lineup.gateway.agent;

import dev.lineup.avro.LifecycleEvent;
import dev.lineup.gateway.delivery.Revocations;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.ConsumerLoop;
import dev.lineup.service.kafka.ConsumerService;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;

/**
 * Revokes activities that end other than by their agent's or MDM server's report (cancelled,
 * expired, purged): a late heartbeat or result with their task token is refused, and an attempt
 * whose release this gateway has not seen yet is never handed out when it comes (see {@link
 * Revocations}).
 *
 * <p>It reads {@code lineup.revocations}, where the sequencer writes only those events, and not the
 * whole lifecycle log: decoding every event of the fleet to find the one in a hundred that ends an
 * activity elsewhere cost the gateway and the broker more than its own deliveries did.
 */
@Context
public final class TaskRevocations extends ConsumerService<String, LifecycleEvent> {

  public TaskRevocations(
      Revocations revocations,
      ProducerSettings producerSettings,
      KafkaConnection kafka,
      @Value("${lineup.gateway.revocations-group-id}") String groupId,
      @Value("${lineup.gateway.instance-id:}") String instanceId) {
    super(
        "task-revocations",
        new ConsumerLoop<String, LifecycleEvent>(
            "task-revocations",
            GroupMembership.member(kafka, groupId, instanceId),
            producerSettings,
            Topics.GATEWAY_DLQ,
            records ->
                revocations.record(
                    records.stream()
                        .map(r -> r.value())
                        .filter(e -> e != null && Lifecycle.revokes(e.getState(), e.getReason()))
                        .toList()),
            Topics.REVOCATIONS));
  }
}
