package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.embedded.TopicReader;
import dev.lineup.embedded.TopicWriter;
import dev.lineup.schemas.Topic;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Push-back on a real broker: a loop whose output's reader is too far behind reads nothing more,
 * and its input waits on its topic, until the reader has caught up to half the limit; a reader that
 * never committed holds nothing back.
 */
@ExtendWith(LineupInfrastructure.class)
class DownstreamLagTest {

  private static final Duration EVERY = Duration.ofMillis(100);
  private static String bootstrap;

  @BeforeAll
  static void start(EmbeddedKafka kafka) {
    bootstrap = kafka.bootstrapServers();
  }

  @Test
  void aLoopHoldsBackWhileItsReaderIsTooFarBehindAndGoesOnOnceItCaughtUpToHalf() throws Exception {
    Lane lane = Lane.fresh();
    String in = lane.in();
    String out = lane.out();
    String reader = "lag-reader-" + lane.suffix();
    // The reader of the out topic has read all of the 30 records there.
    TopicWriter.write(bootstrap, out, "host", numbered(30));
    commit(reader, out, 30);

    var registry = new SimpleMeterRegistry();
    try (var lag =
            new DownstreamLag(
                "test-door",
                KafkaConnection.plaintext(bootstrap),
                reader,
                out,
                20,
                Duration.ZERO,
                EVERY);
        var loop = copying(lane)) {
      loop.holdBackWhile(lag::holdsBack);
      loop.instrument(registry);
      loop.start();
      TopicWriter.write(bootstrap, in, "host", "first");
      await().atMost(Duration.ofSeconds(30)).until(() -> outSize(out) == 31);

      // The reader falls back to the start: the loop holds back. Behind counts offsets, so the
      // loop's transaction marker after its record counts too: 30 + 1 + 1.
      commit(reader, out, 0);
      await().atMost(Duration.ofSeconds(10)).until(lag::holdsBack);
      long end = lag.behind();
      assertThat(end).isEqualTo(32);
      // The loop holds back from its next poll on: one under way may still return what arrives
      // while it waits (up to 200 ms).
      Thread.sleep(500);
      TopicWriter.write(bootstrap, in, "host", "a", "b", "c");
      Thread.sleep(2_000);
      assertThat(outSize(out)).as("nothing more written while held back").isEqualTo(31);
      assertThat(registry.get("lineup.consumer.held.back").gauge().value()).isEqualTo(1);
      assertThat(registry.get("lineup.consumer.lag.records").gauge().value())
          .as("what waits on the input topic still counts as lag")
          .isEqualTo(3);

      // 16 behind: more than half the limit, still held back.
      commit(reader, out, end - 16);
      Thread.sleep(1_000);
      assertThat(lag.holdsBack()).isTrue();
      assertThat(outSize(out)).isEqualTo(31);

      // 10 behind: half the limit, it goes on.
      commit(reader, out, end - 10);
      await().atMost(Duration.ofSeconds(20)).until(() -> outSize(out) == 34);
      assertThat(lag.holdsBack()).isFalse();
      assertThat(registry.get("lineup.consumer.held.back").gauge().value()).isZero();
    }
  }

  @Test
  void aReaderThatNeverCommittedIsNotBehind() throws Exception {
    Lane lane = Lane.fresh();
    String in = lane.in();
    String out = lane.out();
    TopicWriter.write(bootstrap, out, "host", numbered(30));

    try (var lag =
            new DownstreamLag(
                "test-door",
                KafkaConnection.plaintext(bootstrap),
                "nobody-" + lane.suffix(),
                out,
                20,
                Duration.ZERO,
                EVERY);
        var loop = copying(lane)) {
      loop.holdBackWhile(lag::holdsBack);
      loop.start();
      TopicWriter.write(bootstrap, in, "host", "a");

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> new TopicReader(bootstrap).readToEnd(out).size() == 31);
      assertThat(lag.behind()).isZero();
    }
  }

  @Test
  void aLagThatCannotBeReadHoldsNothingBack() throws Exception {
    Lane lane = Lane.fresh();
    String in = lane.in();
    String out = lane.out();

    Logger logger = (Logger) LoggerFactory.getLogger(DownstreamLag.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    // No broker listens there: every read of the lag fails.
    try (var lag =
            new DownstreamLag(
                "test-door",
                KafkaConnection.plaintext("localhost:1"),
                "reader",
                out,
                20,
                Duration.ZERO,
                EVERY);
        var loop = copying(lane)) {
      loop.holdBackWhile(lag::holdsBack);
      loop.start();
      // Past the first read's timeout (at least 5 s): by then a read has failed.
      Thread.sleep(6_000);
      TopicWriter.write(bootstrap, in, "host", "a", "b");

      await().atMost(Duration.ofSeconds(20)).until(() -> outSize(out) == 2);
      assertThat(lag.holdsBack()).isFalse();
      assertThat(lag.behind()).isEqualTo(-1);
      // The operator is told once, however many reads fail, that nothing is held back meanwhile.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> lines.list.stream().anyMatch(e -> e.getLevel() == Level.WARN));
      // Past another read's timeout: a second read has failed too, and said nothing more.
      Thread.sleep(6_000);
      assertThat(lines.list)
          .filteredOn(e -> e.getLoggerName().equals(DownstreamLag.class.getName()))
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getLevel()).isEqualTo(Level.WARN);
                assertThat(e.getFormattedMessage())
                    .startsWith(
                        "test-door: cannot read how far reader is behind on "
                            + out
                            + ", so nothing is held back meanwhile: ");
              });
    } finally {
      logger.detachAppender(lines);
      lines.stop();
    }
  }

  @Test
  void aLimitBelowTwoIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new DownstreamLag(
                    "test-door",
                    KafkaConnection.plaintext(bootstrap),
                    "g",
                    "t",
                    1,
                    Duration.ZERO,
                    EVERY))
        .hasMessageContaining("at least 2");
  }

  private static int outSize(String topic) {
    return new TopicReader(bootstrap).readToEnd(topic).size();
  }

  /** A test's own topics and group, the topics created. */
  private record Lane(String suffix) {
    static Lane fresh() throws Exception {
      Lane lane = new Lane(UUID.randomUUID().toString().substring(0, 8));
      createTopics(lane.in(), lane.out(), lane.dlq());
      return lane;
    }

    String in() {
      return "lag-in-" + suffix;
    }

    String out() {
      return "lag-out-" + suffix;
    }

    String dlq() {
      return "lag-dlq-" + suffix;
    }

    String group() {
      return "lag-group-" + suffix;
    }
  }

  /** A loop that copies each record of the lane's in topic to its out topic; not started. */
  private static TransactionalLoop copying(Lane lane) {
    return new TransactionalLoop(
        "test-door",
        GroupMembership.member(KafkaConnection.plaintext(bootstrap), lane.group(), null),
        ProducerSettings.DEFAULTS.transactional(
            KafkaConnection.plaintext(bootstrap), "test-door-" + lane.group(), null, null, null),
        new Topic<>(lane.in(), Serdes.ByteArray(), Serdes.ByteArray()),
        new Topic<>(lane.dlq(), Serdes.ByteArray(), Serdes.ByteArray()),
        (records, output) ->
            records.forEach(
                r -> output.send(new ProducerRecord<>(lane.out(), r.key(), r.value()))));
  }

  private static String[] numbered(int n) {
    String[] values = new String[n];
    for (int i = 0; i < n; i++) {
      values[i] = "r" + i;
    }
    return values;
  }

  private static void createTopics(String... names) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin
          .createTopics(
              java.util.Arrays.stream(names).map(n -> new NewTopic(n, 1, (short) 1)).toList())
          .all()
          .get();
    }
  }

  /** Sets the group's committed offset on the topic's one partition, as its reader would. */
  private static void commit(String group, String topic, long offset) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin
          .alterConsumerGroupOffsets(
              group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(offset)))
          .all()
          .get();
    }
  }
}
