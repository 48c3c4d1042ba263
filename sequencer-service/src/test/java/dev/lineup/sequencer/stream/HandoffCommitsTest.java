package dev.lineup.sequencer.stream;

import static dev.lineup.sequencer.stream.SequencerHarness.script;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.QueueSettings;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Commits asked for by releases ({@link HandoffCommits}): only for a record the thread read while
 * it was fresh, at most once per spacing, and on a real broker a release then reaches a device long
 * before the commit interval would have shown it.
 */
@ExtendWith(LineupInfrastructure.class)
class HandoffCommitsTest {

  private static final long T = 1_000_000;

  @Test
  void offNeverAsks() {
    HandoffCommits off = new HandoffCommits(Duration.ZERO);
    assertThat(off.released(T, T)).isFalse();
    assertThat(off.due(T + 1_000)).isFalse();
  }

  @Test
  void aFreshReleaseAsksAtMostOncePerSpacingAndOneTooSoonIsOwedTheNextDueStep() {
    HandoffCommits commits = new HandoffCommits(Duration.ofMillis(10));
    assertThat(commits.released(T - 3, T)).as("written 3 ms ago").isTrue();
    assertThat(commits.due(T + 12)).as("nothing owed").isFalse();
    commits = new HandoffCommits(Duration.ofMillis(10));
    assertThat(commits.released(T, T)).isTrue();
    assertThat(commits.released(T + 1, T + 4)).as("4 ms after the last ask: owed").isFalse();
    assertThat(commits.due(T + 9)).as("still within the spacing").isFalse();
    assertThat(commits.due(T + 10)).as("any step once the spacing is over").isTrue();
    assertThat(commits.due(T + 30)).as("asked for once").isFalse();
  }

  @Test
  void aRecordThatWaitedLongerThanTheSpacingNeverAsksNorIsOwed() {
    HandoffCommits commits = new HandoffCommits(Duration.ofMillis(10));
    assertThat(commits.released(T - 11, T)).isFalse();
    assertThat(commits.released(-1, T)).as("no record: a tick").isFalse();
    assertThat(commits.due(T + 100)).as("nothing owed").isFalse();
    assertThat(commits.released(T + 98, T + 100)).as("the stale ones asked for nothing").isTrue();
  }

  @Test
  void aCommitOwedIsAskedForByTheThreadsNextStepEvenOneReleasingForAStaleRecord() throws Exception {
    HandoffCommits commits = new HandoffCommits(Duration.ofMillis(10));
    assertThat(commits.released(T, T)).isTrue();
    assertThat(commits.released(T + 1, T + 4)).as("owed").isFalse();

    // Kafka Streams commits a thread's tasks: another thread has nothing owed, and pays nothing.
    boolean[] other = new boolean[1];
    Thread thread = new Thread(() -> other[0] = commits.due(T + 20));
    thread.start();
    thread.join();
    assertThat(other[0]).as("another stream thread's step").isFalse();

    assertThat(commits.released(T - 100, T + 20)).as("a stale release pays what is owed").isTrue();
    assertThat(commits.due(T + 40)).as("paid once").isFalse();
  }

  @Test
  void aWriterWhoseClockIsAheadStillAsksAtMostOncePerSpacing() {
    HandoffCommits commits = new HandoffCommits(Duration.ofMillis(10));
    int asked = 0;
    for (long now = T; now < T + 100; now++) {
      asked += commits.released(now + 5_000, now) ? 1 : 0;
    }
    assertThat(asked).isEqualTo(10);
  }

  @Test
  void aNegativeSpacingIsRefused() {
    assertThatThrownBy(() -> new HandoffCommits(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-0.001S");
  }

  @Test
  void onlyAStepThatReleasedWorkForAFreshRecordAsksForACommit() {
    try (var q = new SequencerHarness(QueueSettings.defaults(), Duration.ofMillis(10))) {
      var asked = q.registry.get("lineup.handoff.commits").counter();

      q.enqueue(script("h1", "a"));
      ReleasedActivity a = q.releases().get(0);
      assertThat(asked.count()).as("a released as it was queued").isEqualTo(1);
      q.enqueue(script("h1", "b"));
      q.advance(Duration.ofMillis(20));
      q.enqueue(script("h1", "c"));
      assertThat(asked.count()).as("b and c wait behind a: nothing released").isEqualTo(1);

      q.enqueueWrittenAt(script("h2", "late"), q.now().minusSeconds(60));
      assertThat(q.releasedIds()).containsExactly("late");
      assertThat(asked.count()).as("late, released from a record a minute old").isEqualTo(1);

      q.advance(Duration.ofMillis(20));
      q.succeed(a);
      ReleasedActivity b = q.releases().get(0);
      assertThat(b.getActivity().getActivityId()).isEqualTo("b");
      assertThat(asked.count()).as("a's result let b go").isEqualTo(2);

      // c's release, 5 ms after b's ask: owed, and asked for by the next record's step.
      q.advance(Duration.ofMillis(5));
      q.succeed(b);
      assertThat(q.releasedIds()).containsExactly("c");
      assertThat(asked.count()).as("within the spacing of b's ask").isEqualTo(2);
      q.advance(Duration.ofMillis(10));
      q.enqueue(script("h1", "d"));
      assertThat(q.releasedIds()).as("d waits behind c").isEmpty();
      assertThat(asked.count()).as("d's step asked for what c was owed").isEqualTo(3);
    }
  }

  @Test
  void onABrokerAReleaseReachesItsDeviceLongBeforeTheCommitIntervalEnds(EmbeddedKafka kafka)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    // A minute between the interval's commits: a release seen within seconds was committed early.
    try (SequencerNode node =
            new SequencerNode(
                    bootstrap,
                    Files.createTempDirectory("sequencer-handoff"),
                    Duration.ofMinutes(1),
                    Duration.ofSeconds(3))
                .start();
        KafkaConsumer<String, ReleasedActivity> device =
            new KafkaConsumer<>(
                Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG,
                    "handoff-device-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                    "earliest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                    "read_committed"),
                Topics.RELEASED_SCRIPT.keySerde().deserializer(),
                Topics.RELEASED_SCRIPT.valueSerde().deserializer())) {
      node.awaitRunning(Duration.ofMinutes(1));
      device.subscribe(List.of(Topics.RELEASED_SCRIPT.name()));
      List<Long> seenAfterMillis = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        // Past the spacing since the last ask, so that this release asks again.
        Thread.sleep(3_500);
        long sent = System.nanoTime();
        String host = Load.enqueue(bootstrap, "handoff-" + i, 1, 1).keySet().iterator().next();
        seenAfterMillis.add(awaitReleaseOf(device, host, sent));
      }
      assertThat(seenAfterMillis)
          .as("ms from each enqueue to its release, seen read_committed")
          .allSatisfy(ms -> assertThat(ms).isLessThan(10_000L));
    }
  }

  /** Polls until {@code host}'s release is seen; answers the ms since {@code sentNanos}. */
  private static long awaitReleaseOf(
      KafkaConsumer<String, ReleasedActivity> device, String host, long sentNanos) {
    long deadline = sentNanos + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      for (var r : device.poll(Duration.ofMillis(100))) {
        if (r.value().getActivity().getHostId().equals(host)) {
          return (System.nanoTime() - sentNanos) / 1_000_000;
        }
      }
    }
    throw new AssertionError(host + "'s release not seen within 20 s: not committed early");
  }
}
