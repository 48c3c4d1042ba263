package dev.lineup.gateway.delivery;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.gateway.mdm.MdmChannel;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.ConsumerLoop;
import dev.lineup.service.kafka.ConsumerService;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Takes released MDM activities into the deliveries table and hands them to the MDM server ({@link
 * MdmHandOff}). Its own consumer group and thread: while the MDM server is down this loop retries
 * with backoff (and {@code /health}'s body says so, still 200), and the script and installer
 * releases go on.
 *
 * <p>The group is {@code lineup.gateway.mdm-group-id}. A gateway that read MDM releases in the
 * shared group before starts this group from the earliest retained release; the deliveries table
 * makes that replay harmless (attempts recorded before are not pushed again, lapsed ones never).
 */
@Context
public final class MdmReleasedConsumer extends ConsumerService<String, ReleasedActivity> {

  private static final int MAX_BATCH = 20;

  private final MdmChannel mdm;

  public MdmReleasedConsumer(
      Deliveries deliveries,
      MdmHandOff handOff,
      MdmChannel mdm,
      ProducerSettings producerSettings,
      KafkaConnection kafka,
      @Value("${lineup.gateway.mdm-group-id}") String groupId,
      @Value("${lineup.gateway.instance-id:}") String instanceId) {
    super(
        "released-mdm-consumer",
        new ConsumerLoop<String, ReleasedActivity>(
            "gateway-released-mdm",
            pollingFew(GroupMembership.member(kafka, groupId, instanceId)),
            producerSettings,
            Topics.GATEWAY_DLQ,
            records -> {
              List<ReleasedActivity> released = ReleasedConsumer.values(records);
              deliveries.record(released);
              for (ReleasedActivity r : released) {
                handOff.handOver(r);
              }
            },
            Topics.RELEASED_MDM));
    this.mdm = mdm;
  }

  /**
   * Each push may wait up to {@code lineup.gateway.mdm.nanomdm.timeout} for an MDM server that is
   * slow but answering; a small batch keeps the time between polls well under Kafka's {@code
   * max.poll.interval.ms} (5 min), past which the group would take the partitions away.
   */
  private static Map<String, Object> pollingFew(Map<String, Object> config) {
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_BATCH);
    return config;
  }

  /**
   * Ready while consuming, and also while it only waits for the MDM server: that outage is the
   * {@code mdm-server} check's to report, and it must not turn the gateway's health to 503 (agents
   * are still served). A broker or database outage is reported by their own checks.
   */
  @Override
  public boolean ready() {
    return loop().ready() || (loop().running() && !mdm.reachable());
  }
}
