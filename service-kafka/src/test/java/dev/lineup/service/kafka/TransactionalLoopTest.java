package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.embedded.TopicReader;
import dev.lineup.embedded.TopicWriter;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import java.nio.charset.StandardCharsets;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The consume-transform-produce loop on a real broker: what a batch produces, its dead letters and
 * its offsets commit together, and a transient failure leaves nothing behind but a retry.
 */
@ExtendWith(LineupInfrastructure.class)
class TransactionalLoopTest {

  private static String bootstrap;

  @BeforeAll
  static void start(EmbeddedKafka kafka) {
    bootstrap = kafka.bootstrapServers();
  }

  private record Lane(
      Topic<byte[], byte[]> in, String out, Topic<byte[], byte[]> dlq, String group) {}

  private static Lane freshTopics() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    var lane =
        new Lane(
            new Topic<>("tx-in-" + suffix, Serdes.ByteArray(), Serdes.ByteArray()),
            "tx-out-" + suffix,
            new Topic<>("tx-dlq-" + suffix, Serdes.ByteArray(), Serdes.ByteArray()),
            "tx-group-" + suffix);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(lane.in().name(), 1, (short) 1),
                  new NewTopic(lane.out(), 1, (short) 1),
                  new NewTopic(lane.dlq().name(), 1, (short) 1)))
          .all()
          .get();
    }
    return lane;
  }

  private static TransactionalLoop loop(Lane lane, TransactionalLoop.Transform transform) {
    return new TransactionalLoop(
            "test-door",
            GroupMembership.member(KafkaConnection.plaintext(bootstrap), lane.group(), null),
            ProducerSettings.DEFAULTS.transactional(
                KafkaConnection.plaintext(bootstrap),
                "test-door-" + lane.group(),
                null,
                null,
                null),
            lane.in(),
            lane.dlq(),
            transform)
        .start();
  }

  /** Upper-cases each record into the out topic; a record saying "bad" is dead-lettered. */
  private static TransactionalLoop.Transform upperCasing(Lane lane) {
    return (records, out) -> {
      for (ConsumerRecord<byte[], byte[]> r : records) {
        String text = new String(r.value(), StandardCharsets.UTF_8);
        if (text.equals("bad")) {
          out.deadLetter(r, "refused: bad");
        } else {
          out.send(new ProducerRecord<>(lane.out(), r.key(), text.toUpperCase().getBytes()));
        }
      }
    };
  }

  @Test
  void aBatchsRecordsDeadLettersAndOffsetsCommitTogether() throws Exception {
    Lane lane = freshTopics();
    try (var loop = loop(lane, upperCasing(lane))) {
      produce(lane.in().name(), "a", "bad", "c");

      await().atMost(Duration.ofSeconds(20)).until(() -> committed(lane) == 3);
      assertThat(values(readCommitted(lane.out()))).containsExactly("A", "C");
      var dead = readCommitted(lane.dlq().name());
      assertThat(values(dead)).containsExactly("bad");
      assertThat(DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.REASON))
          .isEqualTo("refused: bad");
      assertThat(DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.SOURCE_OFFSET))
          .isEqualTo("1");
      assertThat(DeadLetterHeaders.read(dead.get(0).headers(), DeadLetterHeaders.CONSUMER))
          .isEqualTo("test-door");
      assertThat(loop.ready()).isTrue();
    }
  }

  @Test
  void aTransientFailureAbortsTheBatchAndReadsItAgainWhileNotReady() throws Exception {
    Lane lane = freshTopics();
    AtomicInteger failuresLeft = new AtomicInteger(3);
    TransactionalLoop.Transform upper = upperCasing(lane);
    List<Boolean> readyWhileFailing = new ArrayList<>();
    try (var loop =
        loop(
            lane,
            (records, out) -> {
              upper.transform(records, out);
              if (failuresLeft.getAndDecrement() > 0) {
                // Written above, then aborted: a read_committed reader never sees it.
                throw new SQLTransientConnectionException("database away", "08006");
              }
            })) {
      produce(lane.in().name(), "a", "b");

      await().atMost(Duration.ofSeconds(10)).until(() -> failuresLeft.get() <= 1);
      readyWhileFailing.add(loop.ready());
      await().atMost(Duration.ofSeconds(20)).until(() -> committed(lane) == 2);
      assertThat(readyWhileFailing).containsExactly(false);
      assertThat(values(readCommitted(lane.out()))).containsExactly("A", "B");
      await().atMost(Duration.ofSeconds(5)).until(loop::ready);
    }
  }

  private static void produce(String topic, String... values) {
    TopicWriter.write(bootstrap, topic, "host", values);
  }

  /** The group's committed offset on the in topic's one partition, or -1. */
  private static long committed(Lane lane) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(lane.group()).partitionsToOffsetAndMetadata().get();
      OffsetAndMetadata offset = offsets.get(new TopicPartition(lane.in().name(), 0));
      return offset == null ? -1 : offset.offset();
    }
  }

  /** Everything committed on the topic up to its end now. */
  private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
    return new TopicReader(bootstrap).readToEnd(topic);
  }

  private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }
}
