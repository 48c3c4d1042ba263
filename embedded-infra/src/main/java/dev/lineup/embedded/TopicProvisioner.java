package dev.lineup.embedded;

import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Creates every Lineup topic with one partition count, so a host's records on every keyed topic
 * land in the same partition number and meet in one sequencer task. Topics that exist are left
 * alone; a topic with another partition count is an error, since it would split hosts.
 *
 * <p>It returns only once every partition of every topic has a leader: a KRaft controller
 * acknowledges a creation before the broker has applied it, and a describe (or a consumer) in that
 * gap is told the topic does not exist.
 */
public final class TopicProvisioner {

  private static final Duration READY_WITHIN = Duration.ofSeconds(60);

  private TopicProvisioner() {}

  public static void provision(String bootstrapServers, int partitions, short replication)
      throws ExecutionException, InterruptedException, TimeoutException {
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
      awaitLeaders(admin).forEach((name, description) -> checkPartitions(description, partitions));
    }
  }

  private static Map<String, TopicDescription> awaitLeaders(Admin admin)
      throws ExecutionException, InterruptedException, TimeoutException {
    List<String> names = Topics.ALL.stream().map(Topic::name).toList();
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> descriptions =
            admin.describeTopics(names).allTopicNames().get();
        if (descriptions.values().stream()
            .flatMap(d -> d.partitions().stream())
            .allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          return descriptions;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            "Lineup topics were created but not every partition had a leader within "
                + READY_WITHIN);
      }
      Thread.sleep(50);
    }
  }

  private static void checkPartitions(TopicDescription description, int partitions) {
    if (description.partitions().size() != partitions) {
      throw new IllegalStateException(
          description.name()
              + " has "
              + description.partitions().size()
              + " partitions, every Lineup topic needs "
              + partitions);
    }
  }
}
