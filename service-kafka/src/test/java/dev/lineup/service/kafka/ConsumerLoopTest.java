package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.embedded.TopicReader;
import dev.lineup.embedded.TopicWriter;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule 14 on a real broker: no record stops a consumer. Records that cannot be decoded or that
 * their handler refuses go to the dead-letter topic with the reason and where they came from, and
 * everything else is handled; a transient failure is retried, with the loop unhealthy meanwhile,
 * and skips nothing.
 */
@ExtendWith(LineupInfrastructure.class)
class ConsumerLoopTest {

  private static String bootstrap;

  @BeforeAll
  static void start(EmbeddedKafka kafka) {
    bootstrap = kafka.bootstrapServers();
  }

  /** Decodes UTF-8 text, but refuses anything starting with "garbage", as a broken record would. */
  private static final Serde<String> PICKY =
      Serdes.serdeFrom(
          Serdes.String().serializer(),
          (Deserializer<String>)
              (topic, data) -> {
                String text = new String(data, StandardCharsets.UTF_8);
                if (text.startsWith("garbage")) {
                  // Not a SerializationException: any exception from decoding must be caught.
                  throw new ArrayIndexOutOfBoundsException("union index 97 out of range");
                }
                return text;
              });

  private record Lane(Topic<String, String> in, Topic<byte[], byte[]> dlq) {}

  private static Lane freshTopics() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    var lane =
        new Lane(
            new Topic<>("loop-in-" + suffix, Serdes.String(), PICKY),
            new Topic<>("loop-dlq-" + suffix, Serdes.ByteArray(), Serdes.ByteArray()));
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(lane.in().name(), 1, (short) 1),
                  new NewTopic(lane.dlq().name(), 1, (short) 1)))
          .all()
          .get();
    }
    return lane;
  }

  private static void produce(String topic, String... values) {
    TopicWriter.write(bootstrap, topic, "host", values);
  }

  /** Everything on the topic up to its end offsets, once there are {@code expected}. */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
    TopicReader reader = new TopicReader(bootstrap);
    if (expected > 0) {
      // Dead letters are acknowledged before the loop goes on, but the test may get here first.
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> reader.readToEnd(topic).size() >= expected);
    }
    return reader.readToEnd(topic);
  }

  private static ConsumerLoop<String, String> loop(
      Lane lane, ConsumerLoop.BatchHandler<String, String> handler) {
    return loop(lane, "group-" + UUID.randomUUID(), null, handler);
  }

  /** A started loop in {@code group}, a static member if {@code instanceId} is not null. */
  private static ConsumerLoop<String, String> loop(
      Lane lane,
      String group,
      String instanceId,
      ConsumerLoop.BatchHandler<String, String> handler) {
    return new ConsumerLoop<>(
            "test-loop",
            GroupMembership.member(KafkaConnection.plaintext(bootstrap), group, instanceId),
            lane.dlq(),
            handler,
            lane.in())
        .start();
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return DeadLetterHeaders.read(r.headers(), name);
  }

  @Test
  void anUndecodableRecordIsDeadLetteredWithItsOriginAndTheNextOneIsHandled() throws Exception {
    Lane lane = freshTopics();
    List<String> handled = Collections.synchronizedList(new ArrayList<>());
    try (var loop = loop(lane, records -> records.forEach(r -> handled.add(r.value())))) {
      var registry = new SimpleMeterRegistry();
      loop.instrument(registry);
      produce(lane.in().name(), "first", "garbage!", "third");

      await().atMost(Duration.ofSeconds(20)).until(() -> handled.size() == 2);
      assertThat(handled).containsExactly("first", "third");
      var dead = readAll(lane.dlq().name(), 1);
      assertThat(dead).hasSize(1);
      assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("garbage!");
      assertThat(header(dead.get(0), DeadLetterHeaders.REASON))
          .startsWith("undecodable: ArrayIndexOutOfBoundsException");
      assertThat(header(dead.get(0), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(lane.in().name());
      assertThat(header(dead.get(0), DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
      assertThat(header(dead.get(0), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("1");
      assertThat(header(dead.get(0), ConsumerLoop.CONSUMER_HEADER)).isEqualTo("test-loop");
      assertThat(loop.deadLettered()).isEqualTo(1);
      assertThat(loop.ready()).isTrue();
      // What /metrics shows: lineup_dead_letters_total{topic, consumer}.
      assertThat(
              registry
                  .get("lineup.dead.letters")
                  .tag("topic", lane.dlq().name())
                  .tag("consumer", "test-loop")
                  .functionCounter()
                  .count())
          .isEqualTo(1);
      assertThat(registry.get("lineup.consumer.stalled").gauge().value()).isZero();
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                assertThat(registry.get("lineup.consumer.lag.records").gauge().value()).isZero();
                assertThat(registry.get("lineup.consumer.lag").gauge().value()).isZero();
              });
    }
  }

  @Test
  void aRecordItsHandlerRefusesIsDeadLetteredAloneAndTheRestOfItsBatchIsHandled() throws Exception {
    Lane lane = freshTopics();
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    try (var loop =
        loop(
            lane,
            records -> {
              // All or nothing, like a database transaction over the batch.
              List<String> batch = new ArrayList<>();
              for (var r : records) {
                if (r.value().contains("\u0000")) {
                  throw new SQLException("invalid byte sequence for encoding UTF8: 0x00", "22021");
                }
                batch.add(r.value());
              }
              stored.addAll(batch);
            })) {
      produce(lane.in().name(), "a", "b", "nul\u0000here", "c", "d");

      await().atMost(Duration.ofSeconds(20)).until(() -> stored.size() == 4);
      assertThat(stored).containsExactlyInAnyOrder("a", "b", "c", "d");
      var dead = readAll(lane.dlq().name(), 1);
      assertThat(dead).hasSize(1);
      assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).contains("invalid byte sequence");
      assertThat(header(dead.get(0), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("2");
    }
  }

  @Test
  void aTransientFailureIsRetriedWithTheLoopUnhealthyAndSkipsNothing() throws Exception {
    Lane lane = freshTopics();
    java.util.concurrent.atomic.AtomicBoolean databaseAway =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    AtomicInteger attempts = new AtomicInteger();
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    try (var loop =
        loop(
            lane,
            records -> {
              attempts.incrementAndGet();
              if (databaseAway.get()) {
                throw new SQLTransientConnectionException("Connection is not available");
              }
              records.forEach(r -> stored.add(r.value()));
            })) {
      var registry = new SimpleMeterRegistry();
      loop.instrument(registry);
      produce(lane.in().name(), "one", "two", "three");
      // Health must stay down for the whole outage, also across the empty polls between retries.
      java.util.concurrent.atomic.AtomicBoolean upDuringOutage =
          new java.util.concurrent.atomic.AtomicBoolean();
      Thread watch =
          new Thread(
              () -> {
                boolean stalled = false;
                while (databaseAway.get()) {
                  stalled |= loop.stalledBy() != null;
                  // Read in this order: a recovery needs a handled batch, which needs the
                  // database back first, so ready-then-still-away is the loop being wrong.
                  if (stalled && loop.ready() && databaseAway.get()) {
                    upDuringOutage.set(true);
                  }
                  Thread.onSpinWait();
                }
              });
      watch.start();

      await().atMost(Duration.ofSeconds(20)).until(() -> attempts.get() >= 5);
      assertThat(loop.ready()).isFalse();
      assertThat(loop.stalledBy()).contains("Connection is not available");
      // lineup_consumer_stalled{consumer} says the same.
      assertThat(
              registry.get("lineup.consumer.stalled").tag("consumer", "test-loop").gauge().value())
          .isEqualTo(1);
      // The batch being retried is still waiting: the lag counts it, and its age grows.
      assertThat(registry.get("lineup.consumer.lag.records").gauge().value()).isEqualTo(3);
      double lagBefore = registry.get("lineup.consumer.lag").gauge().value();
      Thread.sleep(1100);
      assertThat(registry.get("lineup.consumer.lag").gauge().value())
          .as("seconds behind, growing while the outage lasts")
          .isGreaterThanOrEqualTo(lagBefore + 1);
      assertThat(stored).isEmpty();
      databaseAway.set(false);
      watch.join();
      assertThat(upDuringOutage).as("healthy at some moment of the outage").isFalse();

      await().atMost(Duration.ofSeconds(30)).until(() -> stored.size() >= 3);
      assertThat(stored).containsExactly("one", "two", "three");
      await().atMost(Duration.ofSeconds(5)).until(loop::ready);
      assertThat(registry.get("lineup.consumer.stalled").gauge().value()).isZero();
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                assertThat(registry.get("lineup.consumer.lag.records").gauge().value()).isZero();
                assertThat(registry.get("lineup.consumer.lag").gauge().value()).isZero();
              });
      assertThat(readAll(lane.dlq().name(), 0)).isEmpty();
    }
  }

  @Test
  void aDeadLetterTooLargeForItsTopicIsKeptWithoutItsBodyAndTheLoopMovesOn() throws Exception {
    Lane lane = freshTopics();
    // A dead-letter topic that takes smaller records than the topic the record came from: the
    // dead letter is the record plus its headers, so a record near the limit cannot fit.
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin
          .incrementalAlterConfigs(
              Map.of(
                  new org.apache.kafka.common.config.ConfigResource(
                      org.apache.kafka.common.config.ConfigResource.Type.TOPIC, lane.dlq().name()),
                  List.of(
                      new org.apache.kafka.clients.admin.AlterConfigOp(
                          new org.apache.kafka.clients.admin.ConfigEntry(
                              "max.message.bytes", "1500"),
                          org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET))))
          .all()
          .get();
    }
    List<String> handled = Collections.synchronizedList(new ArrayList<>());
    try (var loop = loop(lane, records -> records.forEach(r -> handled.add(r.value())))) {
      produce(lane.in().name(), "garbage" + "x".repeat(1450), "after");

      await().atMost(Duration.ofSeconds(20)).until(() -> handled.contains("after"));
      var dead = readAll(lane.dlq().name(), 1);
      assertThat(dead).hasSize(1);
      assertThat(dead.get(0).value()).isNull();
      assertThat(header(dead.get(0), DeadLetterHeaders.REASON)).startsWith("undecodable");
      assertThat(header(dead.get(0), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
      assertThat(header(dead.get(0), ConsumerLoop.DROPPED_HEADER)).contains("RecordTooLarge");
      assertThat(loop.ready()).isTrue();
    }
  }

  @Test
  void failuresAreTransientOnlyWhenTheyAreKnownToPass() throws Exception {
    // The historic case, kept: Kafka's own decoding exception also dead-letters.
    assertThat(Failures.isTransient(new SerializationException("bad"))).isFalse();
    assertThat(Failures.isTransient(new SQLException("timestamp out of range", "22008"))).isFalse();
    assertThat(Failures.isTransient(new SQLException("terminating connection", "57P01"))).isTrue();
    assertThat(Failures.isTransient(new RuntimeException(new java.net.ConnectException())))
        .isTrue();
    assertThat(Failures.isTransient(new SQLException("Connection is closed"))).isTrue();
    // A write Kafka did not store is as transient as its cause: a timeout passes, a refusal not.
    assertThat(
            Failures.isTransient(
                new NotStoredException(
                    "a result could not be stored",
                    new java.util.concurrent.ExecutionException(
                        new org.apache.kafka.common.errors.TimeoutException("expired")))))
        .isTrue();
    assertThat(
            Failures.isTransient(
                new NotStoredException(
                    "a result could not be stored", new java.util.concurrent.TimeoutException())))
        .isTrue();
    assertThat(
            Failures.isTransient(
                new NotStoredException(
                    "a result could not be stored",
                    new java.util.concurrent.ExecutionException(
                        new org.apache.kafka.common.errors.RecordTooLargeException("too large")))))
        .isFalse();
  }

  /** The group's committed offset on the lane's one partition, or -1 if none. */
  private static long committed(String group, Lane lane) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      var offset = offsets.get(new org.apache.kafka.common.TopicPartition(lane.in().name(), 0));
      return offset == null ? -1 : offset.offset();
    }
  }

  @Test
  void offsetsAreCommittedAboutOnceASecondWhileBatchesFlowAndAllOfThemOnceTheLoopIsQuiet()
      throws Exception {
    Lane lane = freshTopics();
    String group = "group-" + UUID.randomUUID();
    AtomicInteger batches = new AtomicInteger();
    AtomicInteger handled = new AtomicInteger();
    try (var loop =
        loop(
            lane,
            group,
            null,
            records -> {
              batches.incrementAndGet();
              handled.addAndGet(records.size());
            })) {
      var registry = new SimpleMeterRegistry();
      loop.instrument(registry);
      await().atMost(Duration.ofSeconds(20)).until(loop::running);
      // A steady trickle: one record every 50 ms for 2 s, each its own batch.
      long started = System.nanoTime();
      for (int i = 0; i < 40; i++) {
        produce(lane.in().name(), "r" + i);
        Thread.sleep(50);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> handled.get() == 40);
      double seconds = (System.nanoTime() - started) / 1e9;

      // Quiet now: what it owes is committed at an empty poll, within about a second.
      await().atMost(Duration.ofSeconds(10)).until(() -> committed(group, lane) == 40);
      double commits =
          registry.get("kafka.consumer.coordinator.commit.total").functionCounter().count();
      assertThat(batches.get()).as("batches handled").isGreaterThan(10);
      assertThat(commits)
          .as("commits for %d batches over %.1f s", batches.get(), seconds)
          .isLessThanOrEqualTo(Math.ceil(seconds) + 2);
    }
  }

  /**
   * Offsets owed inside the commit spacing are committed as the loop closes, here a static member's
   * (a service with an instance id), which keeps its partitions in the group: Kafka's consumer
   * calls the revocation listener as it closes all the same, and the loop commits before it closes
   * too. With both taken out, the group's offset stays at the first batch.
   */
  @Test
  void aLoopThatClosesCommitsWhatItProcessedBeforeItsConsumerCloses() throws Exception {
    Lane lane = freshTopics();
    String group = "group-" + UUID.randomUUID();
    AtomicInteger handled = new AtomicInteger();
    var loop = loop(lane, group, "instance-1", records -> handled.addAndGet(records.size()));
    try (loop;
        var producer =
            new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
                Map.of("bootstrap.servers", bootstrap),
                Serdes.String().serializer(),
                Serdes.String().serializer())) {
      await().atMost(Duration.ofSeconds(20)).until(loop::running);
      // Two batches a moment apart: the second lands inside the first's commit spacing, and the
      // loop closes right after it.
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(lane.in().name(), "a"));
      producer.flush();
      await()
          .pollInterval(Duration.ofMillis(5))
          .atMost(Duration.ofSeconds(20))
          .until(() -> handled.get() == 1);
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(lane.in().name(), "b"));
      producer.flush();
      await()
          .pollInterval(Duration.ofMillis(5))
          .atMost(Duration.ofSeconds(20))
          .until(() -> handled.get() == 2);
    }
    assertThat(committed(group, lane)).as("committed as it closed").isEqualTo(2);
  }

  /**
   * A batch its handler did not take is never committed, not even by the commits as the loop dies:
   * here a handler that throws an Error (a broken driver's NoClassDefFoundError, say), which the
   * loop does not survive. The next member of the group reads that batch again.
   */
  @Test
  void aBatchTheLoopDiedOfIsNotCommittedAndIsReadAgain() throws Exception {
    Lane lane = freshTopics();
    String group = "group-" + UUID.randomUUID();
    AtomicInteger handled = new AtomicInteger();
    var dying =
        loop(
            lane,
            group,
            null,
            records -> {
              for (var r : records) {
                if (r.value().equals("boom")) {
                  throw new LinkageError("a broken driver");
                }
                handled.incrementAndGet();
              }
            });
    try (dying) {
      produce(lane.in().name(), "a");
      await().atMost(Duration.ofSeconds(20)).until(() -> handled.get() == 1);
      produce(lane.in().name(), "boom");
      // The loop's thread dies of it, as it should: not a failure of this test.
      await()
          .dontCatchUncaughtExceptions()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !dying.running());
    }
    assertThat(committed(group, lane))
        .as("committed: the batch taken, not the one it died of")
        .isEqualTo(1);

    List<String> again = Collections.synchronizedList(new ArrayList<>());
    try (var next =
        loop(lane, group, null, records -> records.forEach(r -> again.add(r.value())))) {
      await().atMost(Duration.ofSeconds(20)).until(() -> !again.isEmpty());
      assertThat(again).as("what the next member reads").containsExactly("boom");
    }
  }
}
