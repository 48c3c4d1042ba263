package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.avro.Selector;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scenarios where the rules broke the contract, found by {@link QueueInvariantProperties} once it
 * made dedupe keys and selector cancels (2026-12-06), each the shrunk sample the property printed,
 * written out step by step, and two found by reading: {@link Tick} while writing its invariant, and
 * the preemption's order of checks. Each failed before its rule was fixed.
 */
class QueueInvariantFindingsTest {

  private static final long NOW = Instant.parse("2026-11-24T10:00:00Z").toEpochMilli();
  private static final long SECOND = Duration.ofSeconds(1).toMillis();

  private final InMemorySortedStore store = InMemorySortedStore.withSectionBounds();
  private final RecordingOutbox outbox = new RecordingOutbox();

  /**
   * Rules 6 and 12 with the dedupe key: an enqueue that is rejected changes nothing. A preempting
   * activity that depends on the holder of its own dedupe key spares the holder (rule 6 with rule
   * 4), so it is rejected DEDUPLICATED; its preemption must not have cancelled the rest of the host
   * first, as one that can never run cancels nothing.
   */
  @Test
  void aPreemptingEnqueueRejectedAsDeduplicatedCancelsNothing() {
    HostQueues queues = new HostQueues(store, QueueSettings.defaults(), outbox);
    Instant later = Instant.ofEpochMilli(NOW + 30 * SECOND);
    queues.enqueue(
        script("h1", "holder").setDedupeKey("k").setNotBefore(later).build(), false, NOW);
    queues.enqueue(script("h1", "waiting").setNotBefore(later).build(), false, NOW);

    queues.enqueue(
        script("h1", "urgent").setDedupeKey("k").setDependsOn(List.of("holder")).build(),
        true,
        NOW);

    assertThat(last("urgent").getReason())
        .as("the preempting enqueue: %s", last("urgent"))
        .isEqualTo(ReasonCode.DEDUPLICATED);
    assertThat(last("waiting").getState())
        .as("an activity of the host, after an enqueue that was rejected: %s", last("waiting"))
        .isEqualTo(ActivityState.QUEUED);
    assertThat(last("holder").getState())
        .as("the holder of the key: %s", last("holder"))
        .isEqualTo(ActivityState.QUEUED);
    assertThat(outbox.events)
        .as("events of a rejected preempting enqueue")
        .noneMatch(e -> e.getReason() == ReasonCode.PREEMPTED);
  }

  /**
   * Rules 6 and 9 together: an enqueue that is rejected changes nothing. A preempting activity
   * spares what it depends on, and their own dependencies; when those alone fill its lane, it is
   * rejected QUEUE_FULL, and it must be before its preemption cancelled the host's other lanes.
   * Found by reading, not by the property (its lanes are never that full).
   */
  @Test
  void aPreemptingEnqueueRejectedForAFullLaneCancelsNothing() {
    HostQueues queues =
        new HostQueues(store, QueueSettings.defaults().withMaxUpcomingPerLane(2), outbox);
    queues.enqueue(script("h1", "running").build(), false, NOW);
    queues.enqueue(script("h1", "first").build(), false, NOW);
    queues.enqueue(script("h1", "second").setDependsOn(List.of("first")).build(), false, NOW);
    queues.enqueue(script("h1", "setup").setLane(Lane.SETUP).build(), false, NOW);
    queues.enqueue(script("h1", "setup-waiting").setLane(Lane.SETUP).build(), false, NOW);

    queues.enqueue(
        script("h1", "urgent").setDependsOn(List.of("second")).build(), true, NOW + SECOND);

    assertThat(last("urgent"))
        .as("the preempting enqueue, whose lane holds two it spares")
        .satisfies(
            e -> {
              assertThat(e.getState()).isEqualTo(ActivityState.REJECTED);
              assertThat(e.getReason()).isEqualTo(ReasonCode.QUEUE_FULL);
            });
    assertThat(last("setup-waiting").getState())
        .as(
            "an upcoming activity in another lane, after an enqueue that was rejected: %s",
            last("setup-waiting"))
        .isEqualTo(ActivityState.QUEUED);
    assertThat(outbox.events)
        .as("events of a rejected preempting enqueue")
        .noneMatch(e -> e.getReason() == ReasonCode.PREEMPTED);
  }

  /**
   * Rule 5 by selector, which acts as if applied at once: an activity running when the cancel
   * started runs on, and so does its retry after a failed attempt, which is not upcoming at the
   * cancel's start. On a host the cancel had gone through already it did; on a host it had not
   * reached yet, the failed attempt's retry became upcoming before the host was brought up to date
   * (at the release that follows the result), and the cancel took it. A result now brings its host
   * up to date first.
   */
  @Test
  void aRetryOfAnActivityRunningWhenASelectorCancelStartedIsNotCancelledByIt() {
    // A step goes through one host with an activity upcoming.
    HostQueues queues =
        new HostQueues(store, QueueSettings.defaults().withCancelMatchingPerStep(2), outbox);
    queues.enqueue(script("h1", "h1-running").setRetry(twoAttempts()).build(), false, NOW);
    queues.enqueue(script("h1", "h1-waiting").build(), false, NOW);
    queues.enqueue(script("h2", "h2-running").setRetry(twoAttempts()).build(), false, NOW);

    Selector scriptRuns = Selector.newBuilder().setType(ActivityType.SCRIPT_RUN).build();
    assertThat(queues.startCancelMatching(scriptRuns, "c1", NOW)).isTrue();
    queues.stepCancelMatching("c1", NOW, SeparateSteps.DIRECT);
    assertThat(last("h1-waiting").getDetail()).isEqualTo("cancellation c1");

    queues.onResult(failed("h1", "h1-running"), NOW + SECOND);
    queues.onResult(failed("h2", "h2-running"), NOW + SECOND);

    assertThat(last("h1-running").getReason())
        .as("on the host the cancel went through: %s", last("h1-running"))
        .isEqualTo(ReasonCode.FAILED);
    assertThat(last("h2-running").getReason())
        .as("on the host the cancel has not reached yet: %s", last("h2-running"))
        .isEqualTo(ReasonCode.FAILED);

    // Past the backoff, the tick's step of the cancel passes h2 by (brought up to date) and the
    // retry runs.
    queues.onTime(NOW + SECOND + twoAttempts().getBackoffMs() + 1, SeparateSteps.DIRECT);
    assertThat(last("h2-running"))
        .as("h2-running after its backoff")
        .satisfies(
            e -> {
              assertThat(e.getState()).isEqualTo(ActivityState.RELEASED);
              assertThat(e.getAttempt()).isEqualTo(2);
            });
  }

  /**
   * A selector cancel brought up to date at an enqueue ends a lane's retry holder and so frees the
   * lane: what is ready behind it is released at once, before the enqueue is decided, as if the
   * cancel had been applied at its start. Here that release frees the key the newcomer wants, so it
   * is accepted. Found by a review of the fixes above: the newcomer was rejected DEDUPLICATED, the
   * host stored with its lane free and nothing released, and the cancel's step later passed the
   * host by, so the activity behind the lane waited until it went stale.
   */
  @Test
  void aLaneFreedByAnEnqueuesCatchUpReleasesItsNextBeforeTheEnqueueIsDecided() {
    HostQueues queues =
        new HostQueues(store, QueueSettings.defaults().withCancelMatchingPerStep(1), outbox);
    // h0 sorts first, so the cancel's first step looks at it alone and h1 is left for later.
    queues.enqueue(script("h0", "h0-waiting").build(), false, NOW);
    queues.enqueue(script("h0", "h0-next").build(), false, NOW);
    queues.enqueue(script("h1", "retried").setRetry(twoAttempts()).build(), false, NOW);
    queues.enqueue(
        script("h1", "keeper")
            .setDedupeKey("k")
            .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("cd".repeat(32)).build())
            .build(),
        false,
        NOW);
    queues.onResult(failed("h1", "retried"), NOW + SECOND);
    assertThat(last("retried").getState())
        .as("the failed attempt, its retry holding h1's lane")
        .isEqualTo(ActivityState.QUEUED);

    Selector abScripts = Selector.newBuilder().setScriptSha256("ab".repeat(32)).build();
    assertThat(queues.startCancelMatching(abScripts, "c1", NOW + 2 * SECOND)).isTrue();
    queues.stepCancelMatching("c1", NOW + 2 * SECOND, SeparateSteps.DIRECT);
    assertThat(last("retried").getState())
        .as("the retry holder on h1, which the first step did not reach")
        .isEqualTo(ActivityState.QUEUED);

    queues.enqueue(script("h1", "again").setDedupeKey("k").build(), false, NOW + 3 * SECOND);

    assertThat(last("retried").getDetail())
        .as("the retry holder, after the enqueue's catch-up")
        .isEqualTo("cancellation c1");
    assertThat(last("keeper").getState())
        .as("the activity ready behind it, not matched: %s", last("keeper"))
        .isEqualTo(ActivityState.RELEASED);
    assertThat(last("again").getState())
        .as("the enqueue, its key free once keeper was released: %s", last("again"))
        .isEqualTo(ActivityState.QUEUED);
  }

  /**
   * Rule 5 by selector, which acts as if applied at once: an upcoming activity it matches ends
   * CANCELLED, even on a host the cancel reaches only at a later tick. A tick takes each cancel's
   * step before the hosts' due deadlines, but a step goes through only so many hosts, and the
   * deadlines of a host it had not reached were applied before the releases that would bring that
   * host up to date: an activity reaching the maximum age there ended EXPIRED. A host's deadlines
   * now bring it up to date first. Found while writing the property's invariant, by reading {@link
   * Tick}; the property's runs rarely meet it (a cancel must be under way across a tick, with an
   * activity it matched going stale at that very tick).
   */
  @Test
  void anActivityASelectorCancelMatchedDoesNotGoStaleBeforeTheCancelReachesItsHost() {
    HostQueues queues =
        new HostQueues(
            store,
            QueueSettings.defaults()
                .withCancelMatchingPerStep(2)
                .withMaxUpcomingAge(Duration.ofMinutes(5)),
            outbox);
    for (String host : List.of("h1", "h2", "h3")) {
      queues.enqueue(script(host, host + "-running").build(), false, NOW);
      queues.enqueue(script(host, host + "-waiting").build(), false, NOW);
    }

    long minute = Duration.ofMinutes(1).toMillis();
    Selector scriptRuns = Selector.newBuilder().setType(ActivityType.SCRIPT_RUN).build();
    assertThat(queues.startCancelMatching(scriptRuns, "c1", NOW + 4 * minute)).isTrue();
    queues.stepCancelMatching("c1", NOW + 4 * minute, SeparateSteps.DIRECT);
    // The next tick: the cancel's step goes through h2, then h3's waiting one is due to go stale.
    queues.onTime(NOW + 5 * minute, SeparateSteps.DIRECT);

    for (String host : List.of("h1", "h2", "h3")) {
      assertThat(last(host + "-waiting"))
          .as("upcoming and matched when the cancel started")
          .satisfies(
              e -> {
                assertThat(e.getState()).isEqualTo(ActivityState.CANCELLED);
                assertThat(e.getDetail()).isEqualTo("cancellation c1");
              });
    }
  }

  /**
   * The store's bookkeeping: once a tick has run, no deadline at or before its time is left in the
   * store. A release while its host's lease check is overdue (a record handled before the tick,
   * which runs apart from records) sets a second check due at once ({@link HostChecks#watch}). The
   * tick then takes both out; the first, handled, set the check again, due at once still, under the
   * key the tick had just taken out, and nothing took it out again until the next tick, which found
   * nothing to do with it. A tick now counts all of a host's due checks as checked before it
   * handles any. The property met it through a selector cancel's step, which releases in the tick
   * before the hosts' deadlines.
   */
  @Test
  void aTickLeavesNoHostCheckDueBehindWhenAReleaseSetOneAgainBeforeIt() {
    QueueSettings settings = QueueSettings.defaults();
    HostQueues queues = new HostQueues(store, settings, outbox);
    queues.enqueue(script("h1", "running").build(), false, NOW);
    queues.enqueue(script("h1", "next").build(), false, NOW);
    long late = NOW + settings.lease(ActivityType.SCRIPT_RUN).toMillis() + SECOND;

    queues.onResult(TestActivities.succeeded("h1", "running", late), late);
    queues.onTime(late, SeparateSteps.DIRECT);

    assertThat(
            Section.DEADLINES
                .of(store)
                .range(KeyParts.ordered(Long.MIN_VALUE), KeyParts.ordered(late + 1), 10))
        .as("deadlines due at %d left after its tick", late)
        .isEmpty();
  }

  /**
   * Rule 5 by selector, exact: what a selector cancel matched at its start ends by it on every
   * host, even one a cancel by id or a cancel of all upcoming reaches before the selector's step
   * does. The host is brought up to date first, so the cancel by id finds its activity already
   * CANCELLED by the selector (NOT_CANCELLABLE), and the cancel of all upcoming finds nothing the
   * selector matched left to end (found by the review of the fixes above, through the property).
   */
  @Test
  void aCancelByIdOrOfAllUpcomingOnAHostASelectorCancelHasNotReachedLeavesItsMatchesToIt() {
    HostQueues queues =
        new HostQueues(store, QueueSettings.defaults().withCancelMatchingPerStep(2), outbox);
    queues.enqueue(script("h1", "h1-running").build(), false, NOW);
    queues.enqueue(script("h1", "h1-waiting").build(), false, NOW);
    queues.enqueue(script("h2", "h2-running").build(), false, NOW);
    queues.enqueue(script("h2", "h2-waiting").build(), false, NOW);
    queues.enqueue(script("h3", "h3-running").build(), false, NOW);
    queues.enqueue(script("h3", "h3-waiting").build(), false, NOW);
    Selector scriptRuns = Selector.newBuilder().setType(ActivityType.SCRIPT_RUN).build();
    assertThat(queues.startCancelMatching(scriptRuns, "c1", NOW)).isTrue();
    queues.stepCancelMatching("c1", NOW, SeparateSteps.DIRECT);
    assertThat(last("h1-waiting").getDetail()).isEqualTo("cancellation c1");
    assertThat(last("h2-waiting").getState()).as("not reached yet").isEqualTo(ActivityState.QUEUED);

    queues.cancel("h2", "h2-waiting", NOW + SECOND);
    queues.cancelUpcoming("h3", NOW + SECOND);

    assertThat(outbox.events)
        .filteredOn(e -> e.getActivityId().equals("h2-waiting"))
        .extracting(LifecycleEvent::getReason, LifecycleEvent::getDetail)
        .as("h2-waiting: cancelled by the selector, then the cancel by id refused")
        .containsExactly(
            tuple(ReasonCode.ACCEPTED, null),
            tuple(ReasonCode.USER_CANCEL, "cancellation c1"),
            tuple(ReasonCode.NOT_CANCELLABLE, "already CANCELLED"));
    assertThat(last("h3-waiting").getDetail())
        .as("h3-waiting, after a cancel of all upcoming: %s", last("h3-waiting"))
        .isEqualTo("cancellation c1");
  }

  private static Activity.Builder script(String host, String id) {
    return TestActivities.script(host, id, Instant.ofEpochMilli(NOW));
  }

  private static RetryPolicy twoAttempts() {
    return RetryPolicy.newBuilder().setMaxAttempts(2).setBackoffMs(20_000).build();
  }

  private static ActivityResult failed(String host, String id) {
    return ActivityResult.newBuilder()
        .setResultId("r-" + id)
        .setActivityId(id)
        .setHostId(host)
        .setAttempt(1)
        .setKind(ResultKind.FAILED)
        .setOccurredAt(Instant.ofEpochMilli(NOW + SECOND))
        .setExitCode(1)
        .build();
  }

  private LifecycleEvent last(String id) {
    return outbox.events.stream()
        .filter(e -> e.getActivityId().equals(id))
        .reduce((first, second) -> second)
        .orElseThrow();
  }
}
