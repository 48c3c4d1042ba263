package dev.lineup.sequencer.stream;

import static dev.lineup.sequencer.stream.SequencerHarness.install;
import static dev.lineup.sequencer.stream.SequencerHarness.script;
import static dev.lineup.sequencer.stream.SequencerHarness.system;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.avro.Selector;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.state.ActivityRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule 14 for what the tick reads from the store: one host's broken state, or one broken selector
 * cancel, is put aside once with a dead letter, and every other host of the task goes on.
 *
 * <p>The state is broken behind the rules' back, by writing bytes that decode to nothing under a
 * key of the task's store, as a damaged disk or a bug in an earlier release would leave it.
 */
class BrokenStateTopologyTest {

  /** Bytes no state record decodes from: a single-object header with an unknown fingerprint. */
  private static final byte[] GARBAGE = {(byte) 0xC3, 0x01, 9, 9, 9, 9, 9, 9, 9, 9, 9};

  /** Section tags of the queue store (docs/ARCHITECTURE.md, "Stores"). */
  private static final byte HOSTS = 1;

  private static final byte ACTIVITIES = 2;
  private static final byte CANCELLATIONS = 11;

  private static final Selector ZOOM_INSTALLS =
      Selector.newBuilder().setType(ActivityType.SOFTWARE_INSTALL).setInstallerId("zoom").build();

  private SequencerHarness queue;

  private SequencerHarness start(QueueSettings settings) {
    queue = new SequencerHarness(settings);
    return queue;
  }

  @AfterEach
  void close() {
    if (queue != null) {
      queue.close();
    }
  }

  /** A key of the hosts, activities or payloads section: the tag, then the id. */
  private static byte[] key(byte section, String id) {
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[bytes.length + 1];
    key[0] = section;
    System.arraycopy(bytes, 0, key, 1, bytes.length);
    return key;
  }

  /** Where a selector cancel under way keeps its command: {@code [11][0][id]}. */
  private static byte[] storedCancel(String cancellationId) {
    byte[] rest = key((byte) 0, cancellationId);
    byte[] key = new byte[rest.length + 1];
    key[0] = CANCELLATIONS;
    System.arraycopy(rest, 0, key, 1, rest.length);
    return key;
  }

  private static String header(TestRecord<byte[], byte[]> deadLetter, String name) {
    return DeadLetterHeaders.read(deadLetter.headers(), name);
  }

  private static String keyOf(TestRecord<byte[], byte[]> deadLetter) {
    return new String(deadLetter.key(), StandardCharsets.UTF_8);
  }

  private static ReleasedActivity released(List<ReleasedActivity> releases, String id) {
    return releases.stream()
        .filter(r -> r.getActivity().getActivityId().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError(id + " not released in " + releases));
  }

  @Test
  void aLeaseCheckMeetingARecordThatCannotBeReadIsPutAsideOnceAndOtherHostsLeasesAndRetriesGoOn() {
    var q = start(QueueSettings.defaults());
    q.enqueue(script("h-broken", "broken-1").setTimeoutMs(60_000L));
    q.enqueue(script("h-broken", "broken-2"));
    q.enqueue(script("h-ok", "ok-1").setTimeoutMs(60_000L));
    q.enqueue(script("h-ok", "ok-2"));
    q.enqueue(
        script("h-retry", "flaky")
            .setRetry(RetryPolicy.newBuilder().setMaxAttempts(2).setBackoffMs(30_000).build()));
    q.fail(released(q.releases(), "flaky"));
    q.overwriteStored(key(ACTIVITIES, "broken-1"), GARBAGE);

    q.advance(Duration.ofSeconds(61));

    assertThat(q.last("ok-1").getState()).isEqualTo(ActivityState.EXPIRED);
    assertThat(q.last("ok-1").getReason()).isEqualTo(ReasonCode.LEASE_EXPIRED);
    List<ReleasedActivity> releases = q.releases();
    assertThat(released(releases, "ok-2").getAttempt()).isEqualTo(1);
    assertThat(released(releases, "flaky").getAttempt()).isEqualTo(2);
    // Its lease is watched by its host's lease check, which reads the host's released activities:
    // that check is put aside, the host named.
    List<TestRecord<byte[], byte[]>> deadLetters = q.deadLetterRecords();
    assertThat(deadLetters).hasSize(1);
    assertThat(keyOf(deadLetters.get(0))).isEqualTo("h-broken");
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.REASON))
        .startsWith("put aside: ")
        .contains("due deadlines of host h-broken")
        .contains("HOST_LEASES of h-broken");
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.CONSUMER)).isEqualTo("sequencer");
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.SOURCE_TOPIC))
        .isEqualTo("sequencer-test-sequencer-queue-changelog");

    // Later ticks do not meet the broken deadline again, and the other hosts keep moving.
    q.advance(Duration.ofMinutes(2));
    q.succeed(released(releases, "ok-2"));
    q.enqueue(script("h-ok", "ok-3"));
    assertThat(q.releasedIds()).containsExactly("ok-3");
    assertThat(q.deadLetterRecords()).isEmpty();
  }

  @Test
  void aDeadlineWhoseActivityRecordCannotBeReadIsPutAsideOnceAndOtherHostsRetriesGoOn() {
    var q = start(QueueSettings.defaults());
    RetryPolicy retry = RetryPolicy.newBuilder().setMaxAttempts(2).setBackoffMs(30_000).build();
    q.enqueue(script("h-broken", "broken-1").setRetry(retry));
    q.enqueue(script("h-retry", "flaky").setRetry(retry));
    List<ReleasedActivity> first = q.releases();
    q.fail(released(first, "broken-1"));
    q.fail(released(first, "flaky"));
    q.overwriteStored(key(ACTIVITIES, "broken-1"), GARBAGE);

    q.advance(Duration.ofSeconds(31));

    assertThat(q.releasedIds()).containsExactly("flaky");
    List<TestRecord<byte[], byte[]>> deadLetters = q.deadLetterRecords();
    assertThat(deadLetters).hasSize(1);
    assertThat(keyOf(deadLetters.get(0))).isEqualTo("broken-1");
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.REASON))
        .startsWith("put aside: ")
        .contains("RETRY deadline of activity broken-1");

    q.advance(Duration.ofMinutes(2));
    assertThat(q.deadLetterRecords()).isEmpty();
  }

  @Test
  void aHostWhoseRecordCannotBeReadHasItsDueDeadlinesPutAsideOnceWhileOtherHostsGoOn() {
    var q = start(QueueSettings.defaults());
    q.enqueue(script("h-broken", "broken-1").setTimeoutMs(60_000L));
    q.enqueue(script("h-broken", "broken-2"));
    q.enqueue(script("h-ok", "ok-1").setTimeoutMs(60_000L));
    q.enqueue(script("h-ok", "ok-2"));
    q.releases();
    q.overwriteStored(key(HOSTS, "h-broken"), GARBAGE);

    q.advance(Duration.ofSeconds(61));

    assertThat(q.last("ok-1").getReason()).isEqualTo(ReasonCode.LEASE_EXPIRED);
    assertThat(q.releasedIds()).containsExactly("ok-2");
    assertThat(q.last("broken-1").getState())
        .as("its lapse was put aside with the host's other due deadlines")
        .isEqualTo(ActivityState.RELEASED);
    List<TestRecord<byte[], byte[]>> deadLetters = q.deadLetterRecords();
    assertThat(deadLetters).hasSize(1);
    assertThat(keyOf(deadLetters.get(0))).isEqualTo("h-broken");
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.REASON))
        .contains("due deadlines of host h-broken")
        .contains("HOST_LEASES of h-broken");

    q.advance(Duration.ofMinutes(2));
    assertThat(q.deadLetterRecords()).isEmpty();
  }

  @Test
  void aLaneWaitingForTheBudgetIsServedThoughAnotherHostsWaitCannotBe() {
    var q = start(QueueSettings.defaults().withSystemBudget(1, 1));
    q.enqueue(script("h0", "takes-the-token").setInitiator(system()));
    // h1 sorts before h2, so the broken wait is met first.
    q.enqueue(script("h1", "broken").setInitiator(system()));
    q.enqueue(script("h2", "waiting").setInitiator(system()));
    assertThat(q.releasedIds()).containsExactly("takes-the-token");
    q.overwriteStored(key(HOSTS, "h1"), GARBAGE);

    q.advance(Duration.ofSeconds(1));

    assertThat(q.releasedIds()).containsExactly("waiting");
    List<TestRecord<byte[], byte[]>> deadLetters = q.deadLetterRecords();
    assertThat(deadLetters).hasSize(1);
    assertThat(keyOf(deadLetters.get(0))).isEqualTo("h1");
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.REASON))
        .contains("wait of host h1's DEFAULT lane for the release budget");

    q.advance(Duration.ofSeconds(10));
    assertThat(q.deadLetterRecords()).isEmpty();
  }

  @Test
  void aSelectorCancelUnderWayPassesOverAHostItCannotReadAndCancelsOnEveryOther()
      throws java.io.IOException {
    // Two upcoming activities a step: the cancel goes on by ticks after its first host.
    var q = start(QueueSettings.defaults().withCancelMatchingPerStep(2));
    List<String> hosts = List.of("h1", "h2", "h3", "h4");
    for (String h : hosts) {
      q.enqueue(install(h, h + "-running", "zoom"));
      q.enqueue(install(h, h + "-a", "zoom"));
      q.enqueue(install(h, h + "-b", "zoom"));
    }
    q.enqueue(script("h5", "ok-1").setTimeoutMs(60_000L));
    q.enqueue(script("h5", "ok-2"));
    q.releases();
    // h2-a's record reads, but the payload it holds does not: the selector cannot match it.
    ActivityRecord record =
        ActivityRecord.fromByteBuffer(ByteBuffer.wrap(q.stored(key(ACTIVITIES, "h2-a"))));
    record.setPayload(ByteBuffer.wrap(GARBAGE));
    ByteBuffer broken = record.toByteBuffer();
    byte[] bytes = new byte[broken.remaining()];
    broken.get(bytes);
    q.overwriteStored(key(ACTIVITIES, "h2-a"), bytes);

    String cancellation = q.cancelMatching(ZOOM_INSTALLS);
    q.advance(Duration.ofSeconds(61));

    for (String h : List.of("h1", "h3", "h4")) {
      assertThat(q.last(h + "-a").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last(h + "-b").getState()).isEqualTo(ActivityState.CANCELLED);
    }
    assertThat(q.last("h2-b").getState())
        .as("the cancel passed over the host it could not read")
        .isEqualTo(ActivityState.QUEUED);
    assertThat(q.last("ok-1").getReason()).isEqualTo(ReasonCode.LEASE_EXPIRED);
    assertThat(q.releasedIds()).containsExactly("ok-2");
    List<TestRecord<byte[], byte[]>> deadLetters = q.deadLetterRecords();
    assertThat(deadLetters).hasSize(1);
    assertThat(keyOf(deadLetters.get(0))).isEqualTo("h2");
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.REASON))
        .contains("cancellation " + cancellation + " on host h2");

    q.advance(Duration.ofSeconds(10));
    assertThat(q.deadLetterRecords()).isEmpty();
  }

  @Test
  void aSelectorCancelUnderWayWhoseStoredCommandCannotBeReadIsDroppedOnceAndTheTaskGoesOn() {
    var q = start(QueueSettings.defaults().withCancelMatchingPerStep(2));
    for (String h : List.of("h1", "h2", "h3")) {
      q.enqueue(install(h, h + "-running", "zoom"));
      q.enqueue(install(h, h + "-a", "zoom"));
      q.enqueue(install(h, h + "-b", "zoom"));
    }
    q.enqueue(script("h5", "ok-1").setTimeoutMs(60_000L));
    q.enqueue(script("h5", "ok-2"));
    q.releases();
    String cancellation = q.cancelMatching(ZOOM_INSTALLS);
    assertThat(q.stored(storedCancel(cancellation))).as("under way after one step").isNotNull();
    q.overwriteStored(storedCancel(cancellation), GARBAGE);
    // A step that fails makes the task read its cancels under way from the store again, as a
    // restart would: a command keyed to another host than it names.
    q.commandKeyed(
        "h9",
        Command.newBuilder()
            .setCommandId("misrouted")
            .setHostId("h8")
            .setIssuedAt(q.now())
            .setBody(Enqueue.newBuilder().setActivity(script("h8", "misrouted").build()).build())
            .build());
    assertThat(q.deadLetterRecords()).hasSize(1);

    q.advance(Duration.ofSeconds(61));

    assertThat(q.last("ok-1").getReason()).isEqualTo(ReasonCode.LEASE_EXPIRED);
    assertThat(q.releasedIds()).containsExactly("ok-2");
    List<TestRecord<byte[], byte[]>> deadLetters = q.deadLetterRecords();
    assertThat(deadLetters).hasSize(1);
    assertThat(keyOf(deadLetters.get(0))).isEqualTo(cancellation);
    assertThat(deadLetters.get(0).value()).as("the command as stored").isEqualTo(GARBAGE);
    assertThat(header(deadLetters.get(0), DeadLetterHeaders.REASON))
        .contains("cancellation " + cancellation);
    assertThat(q.stored(storedCancel(cancellation))).isNull();

    // Enqueues and releases no longer meet the broken cancel.
    q.enqueue(install("h6", "h6-new", "zoom"));
    assertThat(q.releasedIds()).containsExactly("h6-new");
    q.advance(Duration.ofSeconds(10));
    assertThat(q.deadLetterRecords()).isEmpty();
  }
}
