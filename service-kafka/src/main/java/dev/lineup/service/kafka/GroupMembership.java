package dev.lineup.service.kafka;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * How a service's consumer joins its group. Given the service's instance id, the member is static
 * ({@code group.instance.id} = group + instance): a restart under the same id, even after {@code
 * kill -9}, takes its partitions back at once instead of waiting out its old self's session. Two
 * running instances must never share an id. Without one, the member is dynamic.
 */
public final class GroupMembership {

  private GroupMembership() {}

  /** The connection, the group id and, with an instance id, the static member name. */
  public static Map<String, Object> member(
      KafkaConnection connection, String groupId, String instanceId) {
    Map<String, Object> config = connection.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    if (instanceId != null && !instanceId.isBlank()) {
      config.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, groupId + "-" + instanceId);
    }
    return config;
  }
}
