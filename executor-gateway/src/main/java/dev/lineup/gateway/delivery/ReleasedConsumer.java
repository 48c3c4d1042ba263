package dev.lineup.gateway.delivery;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.Channel;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import dev.lineup.gateway.agent.ResultPublisher;
import dev.lineup.gateway.mdm.MdmChannel;
import dev.lineup.schemas.Topics;
import dev.lineup.service.health.Readiness;
import dev.lineup.service.kafka.ConsumerLoop;
import dev.lineup.service.kafka.GroupMembership;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.List;

/**
 * Takes released activities off the three channel topics into the deliveries table. Offsets are
 * committed after the rows are, and rows are keyed by activity and attempt, so a crash between the
 * two re-records nothing twice and loses nothing.
 */
@Context
public final class ReleasedConsumer implements Readiness, AutoCloseable {

  private final ConsumerLoop<String, ReleasedActivity> loop;

  public ReleasedConsumer(
      Deliveries deliveries,
      MdmChannel mdm,
      ResultPublisher results,
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.gateway.group-id}") String groupId,
      @Value("${lineup.gateway.instance-id:}") String instanceId) {
    loop =
        new ConsumerLoop<String, ReleasedActivity>(
                "gateway-released",
                GroupMembership.member(bootstrapServers, groupId, instanceId),
                Topics.GATEWAY_DLQ,
                records -> {
                  List<ReleasedActivity> released = new ArrayList<>(records.size());
                  records.forEach(
                      r -> {
                        if (r.value() != null) {
                          released.add(r.value());
                        }
                      });
                  deliveries.record(released);
                  for (ReleasedActivity r : released) {
                    if (r.getActivity().getChannel() == Channel.MDM) {
                      handToMdm(r, deliveries, mdm, results);
                    }
                  }
                },
                Topics.RELEASED_MDM,
                Topics.RELEASED_SCRIPT,
                Topics.RELEASED_INSTALLER)
            .start();
  }

  /**
   * Sends an MDM attempt to the MDM server, then marks it delivered. A failure re-reads the batch
   * and sends again: MDM servers key commands by UUID, so a repeat does not reach the device twice.
   */
  private static void handToMdm(
      ReleasedActivity r, Deliveries deliveries, MdmChannel mdm, ResultPublisher results)
      throws Exception {
    var a = r.getActivity();
    String commandUuid = mdm.deliver(r);
    if (commandUuid != null
        && deliveries.markMdmDelivered(a.getActivityId(), r.getAttempt(), commandUuid)) {
      results.publish(
          ActivityResult.newBuilder()
              .setResultId(java.util.UUID.randomUUID().toString())
              .setActivityId(a.getActivityId())
              .setHostId(a.getHostId())
              .setAttempt(r.getAttempt())
              .setKind(ResultKind.DELIVERED)
              .setOccurredAt(java.time.Instant.now())
              .build());
    }
  }

  @Override
  public String name() {
    return "released-consumer";
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
