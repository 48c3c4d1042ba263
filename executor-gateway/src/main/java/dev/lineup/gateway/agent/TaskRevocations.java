package dev.lineup.gateway.agent;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.gateway.delivery.Revocations;
import dev.lineup.schemas.Topics;
import dev.lineup.service.health.Readiness;
import dev.lineup.service.kafka.ConsumerLoop;
import dev.lineup.service.kafka.GroupMembership;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.util.Set;

/**
 * Revokes activities that end other than by their agent's or MDM server's report (cancelled,
 * expired, purged): a late heartbeat or result with their task token is refused, and an attempt
 * whose release this gateway has not seen yet is never handed out when it comes (see {@link
 * Revocations}).
 */
@Context
public final class TaskRevocations implements Readiness, AutoCloseable {

  private static final Set<ActivityState> ENDED_ELSEWHERE =
      Set.of(ActivityState.CANCELLED, ActivityState.EXPIRED);

  private final ConsumerLoop<String, LifecycleEvent> loop;

  public TaskRevocations(
      Revocations revocations,
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.gateway.revocations-group-id}") String groupId,
      @Value("${lineup.gateway.instance-id:}") String instanceId) {
    loop =
        new ConsumerLoop<String, LifecycleEvent>(
                "task-revocations",
                GroupMembership.member(bootstrapServers, groupId, instanceId),
                Topics.GATEWAY_DLQ,
                records ->
                    revocations.record(
                        records.stream()
                            .map(r -> r.value())
                            .filter(e -> e != null && ENDED_ELSEWHERE.contains(e.getState()))
                            .toList()),
                Topics.EVENTS)
            .start();
  }

  @Override
  public String name() {
    return "task-revocations";
  }

  @Override
  public boolean ready() {
    return loop.ready();
  }

  @PreDestroy
  @Override
  public void close() {
    loop.close();
  }
}
