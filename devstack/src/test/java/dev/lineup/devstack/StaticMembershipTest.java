package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.KafkaConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A service restarted under its instance id after dying without a goodbye (kill -9) takes its
 * partitions back at once; a dynamic member would wait out the dead one's session first (here 30 s;
 * 45 s by default).
 */
@ExtendWith(LineupInfrastructure.class)
class StaticMembershipTest {

  private static final String TOPIC = "membership-probe";
  private static final Duration SESSION = Duration.ofSeconds(30);

  @Test
  void aRestartUnderTheSameInstanceIdTakesThePartitionsBackWithoutWaitingOutTheSession(
      EmbeddedKafka kafka) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
    }
    Map<String, Object> config =
        GroupMembership.member(
            KafkaConnection.plaintext(kafka.bootstrapServers()), "membership-group", "instance-7");
    assertThat(config)
        .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "membership-group-instance-7");
    // A known session, so that waiting it out (what a dynamic member's successor must do) shows.
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) SESSION.toMillis());

    KafkaConsumer<byte[], byte[]> dead = consumer(config);
    dead.subscribe(List.of(TOPIC));
    await().atMost(Duration.ofSeconds(30)).until(() -> assigned(dead) == 3);
    // It stops polling and never says goodbye: a kill -9 as the group coordinator sees it.

    long restarted = System.nanoTime();
    try (KafkaConsumer<byte[], byte[]> successor = consumer(config)) {
      successor.subscribe(List.of(TOPIC));
      // Patient enough for a successor that waits out the session, so the check below decides.
      await().atMost(SESSION.plusSeconds(30)).until(() -> assigned(successor) == 3);
      assertThat(Duration.ofNanos(System.nanoTime() - restarted))
          .as("a static successor takes the partitions without waiting out the dead one's session")
          .isLessThan(SESSION.dividedBy(3));
    } finally {
      try {
        dead.close(Duration.ofSeconds(1));
      } catch (RuntimeException fenced) {
        // the successor fenced it; nothing to release
      }
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> config) {
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static int assigned(KafkaConsumer<byte[], byte[]> consumer) {
    consumer.poll(Duration.ofMillis(100));
    return consumer.assignment().size();
  }
}
