package dev.lineup.embedded;

import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Creates every Lineup topic with one partition count, so a host's records on every keyed topic
 * land in the same partition number and meet in one sequencer task. Topics that exist are left
 * alone; a topic with another partition count is an error, since it would split hosts.
 */
public final class TopicProvisioner {

  private TopicProvisioner() {}

  public static void provision(String bootstrapServers, int partitions, short replication)
      throws ExecutionException, InterruptedException {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing =
          Topics.ALL.stream()
              .map(Topic::name)
              .filter(name -> !existing.contains(name))
              .map(name -> new NewTopic(name, partitions, replication))
              .toList();
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get();
      }
      var descriptions =
          admin.describeTopics(Topics.ALL.stream().map(Topic::name).toList()).allTopicNames().get();
      descriptions.forEach(
          (name, description) -> {
            if (description.partitions().size() != partitions) {
              throw new IllegalStateException(
                  name
                      + " has "
                      + description.partitions().size()
                      + " partitions, every Lineup topic needs "
                      + partitions);
            }
          });
    }
  }
}
