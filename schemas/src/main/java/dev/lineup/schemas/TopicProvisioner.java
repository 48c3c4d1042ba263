package dev.lineup.schemas;

import java.time.Duration;
import java.util.ArrayList;
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
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates every Lineup topic ({@link Topics#ALL}) with one partition count, so a host's records on
 * every keyed topic land in the same partition number and meet in one sequencer task. Running it
 * again is harmless: topics that exist are left alone. It refuses, before creating anything, when
 * an existing Lineup topic has another partition count, since that would split hosts.
 *
 * <p>It returns only once every partition of every topic has a leader: a KRaft controller
 * acknowledges a creation before the broker has applied it, and a describe (or a consumer) in that
 * gap is told the topic does not exist.
 */
public final class TopicProvisioner {

  private static final Duration READY_WITHIN = Duration.ofSeconds(60);

  /** What a run did: the topics it created and those that were already there. */
  public record Outcome(List<String> created, List<String> existing) {}

  /** An existing Lineup topic with another partition count than asked for. */
  public static final class PartitionMismatch extends IllegalStateException {
    public PartitionMismatch(String message) {
      super(message);
    }
  }

  private TopicProvisioner() {}

  /**
   * @param replication each partition's replicas; -1 takes the brokers' default
   * @throws PartitionMismatch if an existing topic has another partition count (nothing created)
   */
  public static Outcome provision(String bootstrapServers, int partitions, short replication)
      throws ExecutionException, InterruptedException, TimeoutException {
    return provision(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        partitions,
        replication);
  }

  /**
   * The same, with an admin client made from {@code adminConfig}: the bootstrap servers and
   * whatever else reaching the cluster takes (TLS, SASL).
   */
  public static Outcome provision(
      Map<String, Object> adminConfig, int partitions, short replication)
      throws ExecutionException, InterruptedException, TimeoutException {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, not " + partitions);
    }
    try (Admin admin = Admin.create(adminConfig)) {
      Set<String> all = admin.listTopics().names().get();
      List<String> existing = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      for (Topic<?, ?> topic : Topics.ALL) {
        (all.contains(topic.name()) ? existing : missing).add(topic.name());
      }
      if (!existing.isEmpty()) {
        admin
            .describeTopics(existing)
            .allTopicNames()
            .get()
            .values()
            .forEach(d -> checkPartitions(d, partitions));
      }
      List<String> created = new ArrayList<>();
      var creations =
          admin
              .createTopics(
                  missing.stream()
                      .map(name -> new NewTopic(name, partitions, replication))
                      .toList())
              .values();
      for (var creation : creations.entrySet()) {
        try {
          creation.getValue().get();
          created.add(creation.getKey());
        } catch (ExecutionException e) {
          // Another run (a second Job, a restarted compose service) made it since the listing.
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
          existing.add(creation.getKey());
        }
      }
      // Checked again once all exist: a topic another run created may have another count.
      awaitLeaders(admin).values().forEach(d -> checkPartitions(d, partitions));
      return new Outcome(List.copyOf(created), List.copyOf(existing));
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
      throw new PartitionMismatch(
          description.name()
              + " has "
              + description.partitions().size()
              + " partitions, but "
              + partitions
              + " were asked for: every Lineup topic needs the same count, or hosts split."
              + " Nothing was created; run again with --partitions "
              + description.partitions().size()
              + " or move the data to new topics");
    }
  }
}
