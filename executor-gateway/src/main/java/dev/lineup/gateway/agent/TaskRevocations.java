package dev.lineup.gateway.agent;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Topics;
import dev.lineup.service.health.Readiness;
import dev.lineup.service.kafka.ConsumerLoop;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Revokes task tokens of activities that end other than by their agent's report (cancelled,
 * expired, purged): a late heartbeat or result with such a token is refused.
 */
@Context
public final class TaskRevocations implements Readiness, AutoCloseable {

  private static final Set<ActivityState> ENDED_ELSEWHERE =
      Set.of(ActivityState.CANCELLED, ActivityState.EXPIRED);

  private final ConsumerLoop<String, LifecycleEvent> loop;

  public TaskRevocations(
      TaskBoard board,
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.gateway.revocations-group-id}") String groupId) {
    loop =
        new ConsumerLoop<String, LifecycleEvent>(
                "task-revocations",
                Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.GROUP_ID_CONFIG, groupId),
                records -> {
                  for (var r : records) {
                    if (r.value() != null && ENDED_ELSEWHERE.contains(r.value().getState())) {
                      board.revoke(r.value().getActivityId());
                    }
                  }
                },
                Topics.EVENTS)
            .start();
  }

  @Override
  public String name() {
    return "task-revocations";
  }

  @Override
  public boolean ready() {
    return loop.consuming();
  }

  @PreDestroy
  @Override
  public void close() {
    loop.close();
  }
}
