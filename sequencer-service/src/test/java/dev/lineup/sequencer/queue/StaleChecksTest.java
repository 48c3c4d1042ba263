package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.sequencer.state.HostRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rule 9 with one stale check per host ({@link HostChecks}): every upcoming activity still goes
 * stale at its own time, whichever enqueue set the check, an activity released at once sets none,
 * and a stale time an older version gave a deadline of its own keeps it.
 */
class StaleChecksTest {

  private static final long NOW = Instant.parse("2026-12-06T00:00:00Z").toEpochMilli();
  private static final long MINUTE = Duration.ofMinutes(1).toMillis();

  private final InMemorySortedStore store = new InMemorySortedStore();
  private final RecordingOutbox outbox = new RecordingOutbox();
  private final HostQueues queues = queues(Duration.ofHours(1));

  @Test
  void eachUpcomingActivityGoesStaleAtItsOwnTime() {
    holdTheLane();
    enqueue(queues, "w1", NOW);
    enqueue(queues, "w2", NOW + 20 * MINUTE);
    enqueue(queues, "w3", NOW + 40 * MINUTE);

    queues.onTime(NOW + 60 * MINUTE - 1);
    assertThat(stale()).isEmpty();
    queues.onTime(NOW + 60 * MINUTE);
    assertThat(stale()).containsExactly("w1");
    queues.onTime(NOW + 80 * MINUTE - 1);
    assertThat(stale()).containsExactly("w1");
    queues.onTime(NOW + 80 * MINUTE);
    assertThat(stale()).containsExactly("w1", "w2");
    queues.onTime(NOW + 100 * MINUTE);
    assertThat(stale()).containsExactly("w1", "w2", "w3");
    assertThat(checkAt()).as("nothing upcoming is left to watch").isNull();
    assertThat(hostChecksIndexed()).isZero();
  }

  @Test
  void anActivityReleasedAtOnceSetsNoCheckAndOneThatWaitsSetsItOnce() {
    enqueue(queues, "first", NOW);
    assertThat(checkAt()).isNull();
    assertThat(hostChecksIndexed()).isZero();

    enqueue(queues, "second", NOW + MINUTE);
    enqueue(queues, "third", NOW + 2 * MINUTE);

    assertThat(checkAt()).isEqualTo(NOW + MINUTE + 60 * MINUTE);
    assertThat(hostChecksIndexed()).isEqualTo(1);
  }

  @Test
  void aCheckThatFindsNothingStaleIsSetAgainAtTheOldestOfTheRest() {
    holdTheLane();
    enqueue(queues, "w1", NOW);
    enqueue(queues, "w2", NOW + 30 * MINUTE);
    // The holder ends: w1 is released, w2 waits behind it.
    queues.onResult(TestActivities.succeeded("h1", "holder", NOW + 10 * MINUTE), NOW + 10 * MINUTE);

    queues.onTime(NOW + 60 * MINUTE);
    assertThat(stale()).isEmpty();
    assertThat(checkAt()).isEqualTo(NOW + 90 * MINUTE);
    queues.onTime(NOW + 90 * MINUTE);
    assertThat(stale()).containsExactly("w2");
  }

  @Test
  void aShorterMaximumAgeAfterARestartMovesTheCheckEarlier() {
    HostQueues restarted = beforeAndAfterAShorterMaximumAge();

    restarted.onTime(NOW + 30 * MINUTE);
    assertThat(stale()).containsExactly("after");
    restarted.onTime(NOW + 59 * MINUTE);
    assertThat(stale()).containsExactly("after");
    restarted.onTime(NOW + 60 * MINUTE);
    assertThat(stale()).containsExactly("after", "before");
  }

  @Test
  void aClockThatStepsBackALittleKeepsTheStaleTimesInOrder() {
    holdTheLane();
    enqueue(queues, "before", NOW);
    // Accepted after "before" but on a clock 300 ms behind (a task moved to another instance).
    enqueue(queues, "after", NOW - 300);

    assertThat(staleAt("after")).isEqualTo(staleAt("before"));
    assertThat(hostRecord().getStaleTimesUnordered()).isFalse();
    queues.onTime(NOW + 60 * MINUTE);
    assertThat(stale()).containsExactly("before", "after");
  }

  @Test
  void aCheckThatReadAllFindsTheStaleTimesLeftInOrderAgain() {
    HostQueues restarted = beforeAndAfterAShorterMaximumAge();
    assertThat(hostRecord().getStaleTimesUnordered()).isTrue();

    restarted.onTime(NOW + 30 * MINUTE);

    assertThat(stale()).containsExactly("after");
    assertThat(hostRecord().getStaleTimesUnordered()).as("only 'before' is left").isFalse();
    assertThat(hostRecord().getLatestStaleAt()).isEqualTo(NOW + 60 * MINUTE);
  }

  @Test
  void aCheckPutAsideIsSetAgainByTheHostsNextActivityThatWaits() {
    holdTheLane();
    enqueue(queues, "w1", NOW);
    // What putting aside the host's due deadlines does (Tick): the check's key is gone, its time
    // still in the host record.
    new Deadlines(Section.DEADLINES.of(store))
        .delete(new Deadline(checkAt(), Deadline.Kind.HOST_STALE, "h1").key());
    queues.onTime(NOW + 70 * MINUTE);
    assertThat(stale()).isEmpty();

    // The next one that waits sets the check again, due at once: w1 does not wait for w2's time.
    enqueue(queues, "w2", NOW + 70 * MINUTE);
    queues.onTime(NOW + 70 * MINUTE);
    assertThat(stale()).containsExactly("w1");
    queues.onTime(NOW + 130 * MINUTE);

    assertThat(stale()).containsExactly("w1", "w2");
  }

  @Test
  void aStaleTimeAnOlderVersionGaveItsOwnDeadlineLapsesByItAndItsReleaseTakesItOut() {
    holdTheLane();
    enqueue(queues, "old", NOW);
    enqueue(queues, "older", NOW);
    // As a version before host stale checks left them: each stale time indexed on its own, no
    // check. The holder then ends and "old" is released.
    for (String id : List.of("old", "older")) {
      OlderVersionState.ownDeadline(store, id, Deadline.Kind.STALE, NOW + 60 * MINUTE);
    }
    new Deadlines(Section.DEADLINES.of(store))
        .delete(new Deadline(NOW + 60 * MINUTE, Deadline.Kind.HOST_STALE, "h1").key());
    HostRecord host = StateCodec.host(Section.HOSTS.of(store).get(KeyParts.id("h1")));
    host.setStaleCheckAt(null);
    Section.HOSTS.of(store).put(KeyParts.id("h1"), StateCodec.encode(host));

    queues.onResult(TestActivities.succeeded("h1", "holder", NOW + MINUTE), NOW + MINUTE);
    assertThat(staleKey("old")).as("the released activity's own deadline").isNull();
    queues.onTime(NOW + 60 * MINUTE);

    assertThat(stale()).containsExactly("older");
    assertThat(staleKey("older")).isNull();
  }

  @Test
  void aLongQueueGoingStaleOneByOneIsReadOnlyUpToTheFirstActivityNotDue() {
    RecordingSortedStore recorded = new RecordingSortedStore();
    HostQueues offline =
        new HostQueues(
            recorded, QueueSettings.defaults().withMaxUpcomingAge(Duration.ofHours(1)), outbox);
    enqueue(offline, "holder", NOW);
    for (int i = 0; i < 500; i++) {
      enqueue(offline, "w" + i, NOW + i * MINUTE);
    }

    recorded.reads.clear();
    offline.onTime(NOW + 60 * MINUTE + 2 * MINUTE);

    assertThat(stale()).containsExactly("w0", "w1", "w2");
    assertThat(
            recorded.reads.stream()
                .filter(key -> Section.values()[key[0] - 1] == Section.ACTIVITIES)
                .count())
        .as("activity records read: the three due, the first not due and the release's, not 500")
        .isLessThanOrEqualTo(8);
    offline.onTime(NOW + 60 * MINUTE + 3 * MINUTE);
    assertThat(stale()).containsExactly("w0", "w1", "w2", "w3");
  }

  /**
   * "before" waits with a maximum age of an hour (stale at +60 min); the sequencer restarts with 20
   * minutes, and "after" waits from +10 min (stale at +30): answers the restarted queues.
   */
  private HostQueues beforeAndAfterAShorterMaximumAge() {
    holdTheLane();
    enqueue(queues, "before", NOW);
    HostQueues restarted = queues(Duration.ofMinutes(20));
    enqueue(restarted, "after", NOW + 10 * MINUTE);
    return restarted;
  }

  private HostQueues queues(Duration maxUpcomingAge) {
    return new HostQueues(
        store, QueueSettings.defaults().withMaxUpcomingAge(maxUpcomingAge), outbox);
  }

  /** A released activity that holds h1's default lane for longer than anything here waits. */
  private void holdTheLane() {
    enqueue(queues, "holder", NOW);
  }

  /** Each with a lease longer than the tests, so that only the maximum age ends anything. */
  private static void enqueue(HostQueues queues, String id, long at) {
    queues.enqueue(
        TestActivities.script("h1", id, Instant.ofEpochMilli(at))
            .setTimeoutMs(Duration.ofHours(5).toMillis())
            .build(),
        false,
        at);
  }

  private Long checkAt() {
    return hostRecord().getStaleCheckAt();
  }

  private HostRecord hostRecord() {
    return StateCodec.host(Section.HOSTS.of(store).get(KeyParts.id("h1")));
  }

  private Long staleAt(String id) {
    return StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id(id))).getStaleAt();
  }

  private long hostChecksIndexed() {
    return Section.DEADLINES.of(store).scan(new byte[0], Integer.MAX_VALUE).stream()
        .map(e -> Deadline.of(e.key()))
        .filter(d -> d != null && d.kind() == Deadline.Kind.HOST_STALE)
        .count();
  }

  private byte[] staleKey(String id) {
    return Section.DEADLINES
        .of(store)
        .get(new Deadline(NOW + 60 * MINUTE, Deadline.Kind.STALE, id).key());
  }

  private List<String> stale() {
    return outbox.events.stream()
        .filter(e -> e.getState() == ActivityState.EXPIRED)
        .filter(e -> e.getReason() == ReasonCode.STALE)
        .map(LifecycleEvent::getActivityId)
        .toList();
  }
}
