package dev.lineup.sequencer.stream;

import static dev.lineup.sequencer.stream.SequencerHarness.lock;
import static dev.lineup.sequencer.stream.SequencerHarness.query;
import static dev.lineup.sequencer.stream.SequencerHarness.script;
import static dev.lineup.sequencer.stream.SequencerHarness.system;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.queue.Ranking;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every rule of "The queue contract" in CONTRACT.md, on the whole topology. */
class QueueContractTopologyTest {

  private SequencerHarness queue;

  private SequencerHarness start(QueueSettings settings) {
    queue = new SequencerHarness(settings);
    return queue;
  }

  private SequencerHarness start() {
    return start(QueueSettings.defaults());
  }

  @AfterEach
  void close() {
    if (queue != null) {
      queue.close();
    }
  }

  private static ReleasedActivity only(List<ReleasedActivity> releases) {
    assertThat(releases).hasSize(1);
    return releases.get(0);
  }

  @Nested
  class Ordering {

    @Test
    void releasesOneActivityPerHostAtATimeInAcceptanceOrder() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a2"));
      q.enqueue(script("h1", "a3"));

      ReleasedActivity first = only(q.releases());
      assertThat(first.getActivity().getActivityId()).isEqualTo("a1");
      assertThat(first.getAttempt()).isEqualTo(1);

      q.succeed(first);
      ReleasedActivity second = only(q.releases());
      assertThat(second.getActivity().getActivityId()).isEqualTo("a2");

      q.succeed(second);
      assertThat(q.releasedIds()).containsExactly("a3");
    }

    @Test
    void hostsDoNotWaitForEachOther() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h2", "b1"));

      assertThat(q.releasedIds()).containsExactlyInAnyOrder("a1", "b1");
    }

    @Test
    void releasesHigherPriorityFirstThenAcceptanceOrder() {
      var q = start();
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "low").setPriority(0));
      q.enqueue(script("h1", "high").setPriority(5));
      q.enqueue(script("h1", "high-later").setPriority(5));
      ReleasedActivity running = only(q.releases());

      q.succeed(running);
      ReleasedActivity next = only(q.releases());
      q.succeed(next);
      ReleasedActivity after = only(q.releases());
      q.succeed(after);

      assertThat(List.of(next, after, only(q.releases())))
          .extracting(r -> r.getActivity().getActivityId())
          .containsExactly("high", "high-later", "low");
    }

    @Test
    void fifoRankingIgnoresPriority() {
      var q = start(QueueSettings.defaults().withRanking(Ranking.FIFO));
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "low").setPriority(0));
      q.enqueue(script("h1", "high").setPriority(9));

      q.succeed(only(q.releases()));

      assertThat(q.releasedIds()).containsExactly("low");
    }

    @Test
    void agingLetsALongWaitingActivityOvertakeANewerHigherPriorityOne() {
      // One point of priority per minute waited (the default aging step).
      var q = start(QueueSettings.defaults().withRanking(Ranking.AGING));
      q.enqueue(script("h1", "running").setTimeoutMs(Duration.ofHours(1).toMillis()));
      q.enqueue(script("h1", "old-low").setPriority(0));
      q.advance(Duration.ofMinutes(10));
      q.enqueue(script("h1", "new-high").setPriority(5));
      ReleasedActivity running = only(q.releases());

      q.succeed(running);

      assertThat(q.releasedIds()).containsExactly("old-low");
    }

    @Test
    void theSetupLaneRunsBesideTheDefaultLaneOneAtATime() {
      var q = start();
      q.enqueue(script("h1", "default-1"));
      q.enqueue(script("h1", "setup-1").setLane(Lane.SETUP));
      q.enqueue(script("h1", "setup-2").setLane(Lane.SETUP));

      assertThat(q.releasedIds()).containsExactlyInAnyOrder("default-1", "setup-1");
    }

    @Test
    void aBypassQueryIsReleasedAtOnceWhileTheLaneIsBusy() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a2"));
      q.releases();

      q.enqueue(query("h1", "q1"));
      q.enqueue(query("h1", "q2"));

      assertThat(q.releasedIds()).containsExactly("q1", "q2");
    }
  }

  @Nested
  class Eligibility {

    @Test
    void anActivityWaitsForItsDependencyWithoutBlockingOthersBehindIt() {
      var q = start();
      q.enqueue(script("h1", "setup-step").setLane(Lane.SETUP));
      q.enqueue(script("h1", "needs-setup").setDependsOn(List.of("setup-step")));
      q.enqueue(script("h1", "independent"));
      List<ReleasedActivity> first = q.releases();

      assertThat(first)
          .extracting(r -> r.getActivity().getActivityId())
          .containsExactlyInAnyOrder("setup-step", "independent");

      q.succeed(
          first.stream()
              .filter(r -> r.getActivity().getActivityId().equals("independent"))
              .findFirst()
              .orElseThrow());
      assertThat(q.releases()).isEmpty();

      q.succeed(
          first.stream()
              .filter(r -> r.getActivity().getActivityId().equals("setup-step"))
              .findFirst()
              .orElseThrow());
      assertThat(q.releasedIds()).containsExactly("needs-setup");
    }

    @Test
    void aDependencyThatDoesNotSucceedCancelsItsDependentsTransitively() {
      var q = start();
      q.enqueue(script("h1", "base"));
      q.enqueue(script("h1", "child").setDependsOn(List.of("base")));
      q.enqueue(script("h1", "grandchild").setDependsOn(List.of("child")));

      q.fail(only(q.releases()));

      assertThat(q.last("child").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("child").getReason()).isEqualTo(ReasonCode.DEPENDENCY_FAILED);
      assertThat(q.last("grandchild").getReason()).isEqualTo(ReasonCode.DEPENDENCY_FAILED);
      assertThat(q.releases()).isEmpty();
    }

    @Test
    void aDependencyOnAnUnknownActivityCancelsAtOnceSoNothingWaitsForever() {
      var q = start();
      q.enqueue(script("h1", "orphan").setDependsOn(List.of("never-enqueued")));

      assertThat(q.last("orphan").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("orphan").getReason()).isEqualTo(ReasonCode.DEPENDENCY_FAILED);
    }

    @Test
    void notBeforeHoldsAnActivityUntilItsTimeWithoutBlockingOthers() {
      var q = start();
      q.enqueue(script("h1", "later").setNotBefore(q.now().plus(Duration.ofMinutes(5))));
      q.enqueue(script("h1", "now"));
      ReleasedActivity now = only(q.releases());
      assertThat(now.getActivity().getActivityId()).isEqualTo("now");
      q.succeed(now);
      assertThat(q.releases()).isEmpty();

      q.advance(Duration.ofMinutes(5));

      assertThat(q.releasedIds()).containsExactly("later");
    }

    @Test
    void aPausedHostReleasesNothingUntilResumed() {
      var q = start();
      q.pause("h1");
      q.enqueue(script("h1", "a1"));
      q.enqueue(query("h1", "q1"));
      assertThat(q.releases()).isEmpty();

      q.resume("h1");

      assertThat(q.releasedIds()).containsExactlyInAnyOrder("a1", "q1");
    }
  }

  @Nested
  class Cancelling {

    @Test
    void cancellingAnUpcomingActivityRemovesItAtOnce() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a2"));
      q.enqueue(script("h1", "a3"));
      ReleasedActivity a1 = only(q.releases());

      q.cancel("h1", "a2");
      q.succeed(a1);

      assertThat(q.last("a2").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("a2").getReason()).isEqualTo(ReasonCode.USER_CANCEL);
      assertThat(q.releasedIds()).containsExactly("a3");
    }

    @Test
    void cancellingAReleasedActivityEndsItReleasesTheNextAndIgnoresItsLateResult() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a2"));
      ReleasedActivity a1 = only(q.releases());

      q.cancel("h1", "a1");
      assertThat(q.releasedIds()).containsExactly("a2");

      q.succeed(a1);
      LifecycleEvent late = q.last("a1");
      assertThat(late.getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(late.getReason()).isEqualTo(ReasonCode.LATE_RESULT);
      assertThat(q.releases()).isEmpty();
    }

    @Test
    void aReleasedLockCannotBeCancelled() {
      var q = start();
      q.enqueue(lock("h1", "lock"));
      q.releases();

      q.cancel("h1", "lock");

      LifecycleEvent refusal = q.last("lock");
      assertThat(refusal.getState()).isEqualTo(ActivityState.RELEASED);
      assertThat(refusal.getReason()).isEqualTo(ReasonCode.NOT_CANCELLABLE);
    }

    @Test
    void cancellingAllUpcomingLeavesTheReleasedOneRunning() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a2"));
      q.enqueue(script("h1", "a3").setLane(Lane.SETUP).setDependsOn(List.of("a1")));
      ReleasedActivity a1 = only(q.releases());

      q.cancelUpcoming("h1");
      q.succeed(a1);

      assertThat(q.last("a2").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("a3").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("a1").getState()).isEqualTo(ActivityState.SUCCEEDED);
      assertThat(q.releases()).isEmpty();
    }

    @Test
    void preemptCancelsEveryUpcomingActivityAndGoesFirst() {
      var q = start();
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "a2").setPriority(100));
      q.enqueue(script("h1", "a3").setLane(Lane.SETUP));
      ReleasedActivity running =
          only(
              q.releases().stream()
                  .filter(r -> r.getActivity().getActivityId().equals("running"))
                  .toList());

      q.enqueue(lock("h1", "urgent-lock"), true);

      assertThat(q.last("a2").getReason()).isEqualTo(ReasonCode.PREEMPTED);
      q.succeed(running);
      assertThat(q.releasedIds()).containsExactly("urgent-lock");
    }

    @Test
    void aPreemptingActivitySparesTheUpcomingActivitiesItWaitsFor() {
      var q = start();
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "other"));
      q.enqueue(script("h1", "precheck"));
      q.enqueue(script("h1", "install").setDependsOn(List.of("precheck")));
      ReleasedActivity running = only(q.releases());

      q.enqueue(lock("h1", "urgent").setDependsOn(List.of("install")), true);

      assertThat(q.last("other").getReason()).isEqualTo(ReasonCode.PREEMPTED);
      assertThat(q.last("precheck").getState()).isEqualTo(ActivityState.QUEUED);
      assertThat(q.last("install").getState()).isEqualTo(ActivityState.QUEUED);
      assertThat(q.last("urgent").getState()).isEqualTo(ActivityState.QUEUED);
      q.succeed(running);
      ReleasedActivity precheck = only(q.releases());
      assertThat(precheck.getActivity().getActivityId()).isEqualTo("precheck");
      q.succeed(precheck);
      ReleasedActivity install = only(q.releases());
      q.succeed(install);
      assertThat(q.releasedIds()).containsExactly("urgent");
    }

    @Test
    void aPreemptingActivityThatCanNeverRunCancelsNothing() {
      var q = start();
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "waiting"));
      q.releases();

      q.enqueue(lock("h1", "urgent").setDependsOn(List.of("no-such-activity")), true);

      assertThat(q.last("urgent").getReason()).isEqualTo(ReasonCode.DEPENDENCY_FAILED);
      assertThat(q.last("waiting").getState()).isEqualTo(ActivityState.QUEUED);
    }

    @Test
    void aSelectorCancelEndsEveryMatchingUpcomingActivityOnEveryHostAndNothingElse() {
      var q = start();
      q.enqueue(SequencerHarness.install("h1", "h1-running", "zoom"));
      q.enqueue(SequencerHarness.install("h1", "h1-zoom", "zoom"));
      q.enqueue(SequencerHarness.install("h1", "h1-slack", "slack"));
      q.enqueue(script("h2", "h2-script"));
      q.enqueue(SequencerHarness.install("h2", "h2-zoom", "zoom"));
      List<ReleasedActivity> running = q.releases();

      q.cancelMatching(
          dev.lineup.avro.Selector.newBuilder()
              .setType(dev.lineup.avro.ActivityType.SOFTWARE_INSTALL)
              .setInstallerId("zoom")
              .build());

      assertThat(q.last("h1-zoom").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("h2-zoom").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("h1-zoom").getDetail()).startsWith("cancellation ");
      assertThat(q.last("h1-running").getState()).isEqualTo(ActivityState.RELEASED);
      assertThat(q.last("h1-slack").getState()).isEqualTo(ActivityState.QUEUED);
      assertThat(q.last("h2-script").getState()).isEqualTo(ActivityState.RELEASED);
      assertThat(running).hasSize(2);
    }

    @Test
    void aSelectorCancelLargerThanAStepGoesOnByTicksAndStillActsAsIfAppliedAtOnce() {
      var q = start(QueueSettings.defaults().withCancelMatchingPerStep(2));
      List<String> hosts = List.of("h1", "h2", "h3", "h4");
      for (String h : hosts) {
        q.enqueue(SequencerHarness.install(h, h + "-running", "zoom"));
        q.enqueue(SequencerHarness.install(h, h + "-a", "zoom"));
        q.enqueue(SequencerHarness.install(h, h + "-b", "zoom"));
      }
      List<ReleasedActivity> running = q.releases();
      q.events();

      q.cancelMatching(
          dev.lineup.avro.Selector.newBuilder()
              .setType(dev.lineup.avro.ActivityType.SOFTWARE_INSTALL)
              .setInstallerId("zoom")
              .build());

      // One step: the first host, not the whole task in one transaction.
      assertThat(q.events())
          .extracting(LifecycleEvent::getActivityId)
          .containsExactlyInAnyOrder("h1-a", "h1-b");

      // Meanwhile, later commands for hosts the cancel has not reached yet.
      q.enqueue(SequencerHarness.install("h4", "h4-after", "zoom"));
      q.succeed(
          running.stream()
              .filter(r -> r.getActivity().getActivityId().equals("h3-running"))
              .findFirst()
              .orElseThrow());
      assertThat(q.releasedIds()).as("h3's next ones were cancelled before it").isEmpty();

      q.advance(Duration.ofSeconds(1));

      for (String h : hosts) {
        assertThat(q.last(h + "-a").getState()).isEqualTo(ActivityState.CANCELLED);
        assertThat(q.last(h + "-b").getState()).isEqualTo(ActivityState.CANCELLED);
        assertThat(q.last(h + "-b").getDetail()).startsWith("cancellation ");
      }
      assertThat(q.last("h4-after").getState())
          .as("accepted after the cancel")
          .isEqualTo(ActivityState.QUEUED);
      assertThat(q.last("h1-running").getState()).isEqualTo(ActivityState.RELEASED);
    }

    @Test
    void aSelectorCancelByScriptMatchesScriptRuns() {
      var q = start();
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "same-script"));

      q.cancelMatching(
          dev.lineup.avro.Selector.newBuilder().setScriptSha256("ab".repeat(32)).build());

      assertThat(q.last("same-script").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("running").getState()).isEqualTo(ActivityState.RELEASED);
    }

    @Test
    void purgeAlsoEndsReleasedBypassQueries() {
      var q = start();
      q.enqueue(query("h1", "q1"));
      ReleasedActivity q1 = only(q.releases());

      q.purge("h1");

      assertThat(q.last("q1").getState()).isEqualTo(ActivityState.CANCELLED);
      assertThat(q.last("q1").getReason()).isEqualTo(ReasonCode.HOST_PURGED);
      q.succeed(q1);
      assertThat(q.last("q1").getReason()).isEqualTo(ReasonCode.LATE_RESULT);
    }

    @Test
    void purgeEndsEveryActivityOfTheHostAndForgetsIt() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a2"));
      ReleasedActivity a1 = only(q.releases());

      q.purge("h1");

      assertThat(q.last("a1").getReason()).isEqualTo(ReasonCode.HOST_PURGED);
      assertThat(q.last("a2").getReason()).isEqualTo(ReasonCode.HOST_PURGED);
      q.succeed(a1);
      assertThat(q.last("a1").getReason()).isEqualTo(ReasonCode.LATE_RESULT);
      q.enqueue(script("h1", "after-purge"));
      assertThat(q.releasedIds()).containsExactly("after-purge");
    }
  }

  @Nested
  class LeasesAndRetries {

    @Test
    void aRetryNeverWaitsLongerThanTheLongestBackoffHoweverItGrows() {
      var q = start();
      q.enqueue(
          script("h1", "flaky")
              .setRetry(
                  dev.lineup.avro.RetryPolicy.newBuilder()
                      .setMaxAttempts(20)
                      .setBackoffMs(Duration.ofDays(1).toMillis())
                      .setBackoffMultiplier(10.0)
                      .build()));
      for (int attempt = 1; attempt <= 4; attempt++) {
        ReleasedActivity released = only(q.releases());
        assertThat(released.getAttempt()).isEqualTo(attempt);
        q.fail(released);
        // 1 day, then 10, 100, 1,000 days if it grew unbounded.
        q.advance(Duration.ofDays(1).plusMinutes(1));
      }
      assertThat(only(q.releases()).getAttempt()).isEqualTo(5);
    }

    @Test
    void aLapsedLeaseEndsTheActivityExpiredAndReleasesTheNext() {
      var q = start();
      q.enqueue(script("h1", "silent").setTimeoutMs(60_000L));
      q.enqueue(script("h1", "next"));
      ReleasedActivity silent = only(q.releases());
      assertThat(silent.getLeaseExpiresAt()).isEqualTo(q.now().plusSeconds(60));

      q.advance(Duration.ofSeconds(61));

      assertThat(q.last("silent").getState()).isEqualTo(ActivityState.EXPIRED);
      assertThat(q.last("silent").getReason()).isEqualTo(ReasonCode.LEASE_EXPIRED);
      assertThat(q.releasedIds()).containsExactly("next");
    }

    @Test
    void heartbeatsExtendTheLease() {
      var q = start();
      q.enqueue(script("h1", "busy").setTimeoutMs(60_000L));
      ReleasedActivity busy = only(q.releases());

      q.advance(Duration.ofSeconds(50));
      q.heartbeat(busy, Duration.ofSeconds(60));
      q.advance(Duration.ofSeconds(50));

      assertThat(q.last("busy").getState()).isEqualTo(ActivityState.RELEASED);
      q.advance(Duration.ofSeconds(11));
      assertThat(q.last("busy").getState()).isEqualTo(ActivityState.EXPIRED);
    }

    @Test
    void aFailedAttemptIsRetriedAfterItsBackoffAheadOfEverythingBehindIt() {
      var q = start();
      q.enqueue(
          script("h1", "flaky")
              .setRetry(RetryPolicy.newBuilder().setMaxAttempts(2).setBackoffMs(30_000).build()));
      q.enqueue(script("h1", "behind").setPriority(50));
      ReleasedActivity first = only(q.releases());

      q.fail(first);
      assertThat(q.last("flaky").getState()).isEqualTo(ActivityState.QUEUED);
      assertThat(q.last("flaky").getDetail()).isEqualTo("attempt 1 of 2 failed; retry in 30000 ms");
      assertThat(q.releases()).isEmpty();

      q.advance(Duration.ofSeconds(30));
      ReleasedActivity retry = only(q.releases());
      assertThat(retry.getActivity().getActivityId()).isEqualTo("flaky");
      assertThat(retry.getAttempt()).isEqualTo(2);

      q.fail(retry);
      assertThat(q.last("flaky").getState()).isEqualTo(ActivityState.FAILED);
      assertThat(q.releasedIds()).containsExactly("behind");
    }

    @Test
    void aFailedBypassQueryIsRetriedAfterItsBackoffToo() {
      var q = start();
      q.enqueue(
          query("h1", "q1")
              .setRetry(RetryPolicy.newBuilder().setMaxAttempts(2).setBackoffMs(5_000).build()));
      q.fail(only(q.releases()));

      q.advance(Duration.ofSeconds(5));

      ReleasedActivity retry = only(q.releases());
      assertThat(retry.getAttempt()).isEqualTo(2);
    }

    @Test
    void aResultForAnEarlierAttemptDoesNotEndTheRetry() {
      var q = start();
      q.enqueue(
          script("h1", "flaky")
              .setRetry(RetryPolicy.newBuilder().setMaxAttempts(3).setBackoffMs(0).build()));
      ReleasedActivity first = only(q.releases());
      q.fail(first);
      q.advance(SequencerHarness.TICK);
      only(q.releases());

      q.succeed(first);

      assertThat(q.last("flaky").getReason()).isEqualTo(ReasonCode.LATE_RESULT);
      assertThat(q.last("flaky").getState()).isEqualTo(ActivityState.RELEASED);
    }
  }

  @Nested
  class Limits {

    @Test
    void aFullLaneRejectsTheNextActivityWithQueueFull() {
      var q = start(QueueSettings.defaults().withMaxUpcomingPerLane(2));
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "u1"));
      q.enqueue(script("h1", "u2"));
      q.enqueue(script("h1", "u3"));

      assertThat(q.last("u3").getState()).isEqualTo(ActivityState.REJECTED);
      assertThat(q.last("u3").getReason()).isEqualTo(ReasonCode.QUEUE_FULL);
      assertThat(q.last("u2").getState()).isEqualTo(ActivityState.QUEUED);
    }

    @Test
    void anUpcomingActivityOlderThanTheMaximumAgeEndsStale() {
      var q = start(QueueSettings.defaults().withMaxUpcomingAge(Duration.ofHours(1)));
      q.enqueue(script("h1", "running").setTimeoutMs(Duration.ofHours(3).toMillis()));
      q.enqueue(script("h1", "waiting"));

      q.advance(Duration.ofMinutes(61));

      assertThat(q.last("waiting").getState()).isEqualTo(ActivityState.EXPIRED);
      assertThat(q.last("waiting").getReason()).isEqualTo(ReasonCode.STALE);
      assertThat(q.last("running").getState()).isEqualTo(ActivityState.RELEASED);
    }

    @Test
    void anUpcomingActivityWithTheSameDedupeKeyAbsorbsTheNewOne() {
      var q = start();
      q.enqueue(script("h1", "running"));
      q.enqueue(script("h1", "inventory-1").setDedupeKey("inventory"));
      q.enqueue(script("h1", "inventory-2").setDedupeKey("inventory"));

      assertThat(q.last("inventory-2").getState()).isEqualTo(ActivityState.REJECTED);
      assertThat(q.last("inventory-2").getReason()).isEqualTo(ReasonCode.DEDUPLICATED);
      assertThat(q.last("inventory-2").getDetail()).contains("inventory-1");
    }

    @Test
    void systemActivitiesWaitForTheReleaseBudgetButUserOnesDoNot() {
      var q = start(QueueSettings.defaults().withSystemBudget(1, 1));
      q.enqueue(script("h1", "sys-1").setInitiator(system()));
      q.enqueue(script("h2", "sys-2").setInitiator(system()));
      q.enqueue(script("h3", "user-1"));
      assertThat(q.releasedIds()).containsExactlyInAnyOrder("sys-1", "user-1");

      q.advance(Duration.ofSeconds(1));

      assertThat(q.releasedIds()).containsExactly("sys-2");
    }

    @Test
    void hostsWaitingForTheBudgetTakeTurnsWhateverTheirIdsSortAs() {
      var q = start(QueueSettings.defaults().withSystemBudget(1, 1));
      for (int i = 0; i < 6; i++) {
        q.enqueue(script("a-first", "a" + i).setInitiator(system()));
        q.enqueue(script("z-last", "z" + i).setInitiator(system()));
      }
      List<String> released = new ArrayList<>();
      // Devices that finish at once: the first host is waiting again at every refill.
      for (int tick = 0; tick < 80; tick++) {
        for (ReleasedActivity r : q.releases()) {
          released.add(r.getActivity().getActivityId());
          q.succeed(r);
        }
        q.advance(Duration.ofMillis(100));
      }

      assertThat(released.stream().filter(id -> id.startsWith("z")).count())
          .as("releases of the host sorting last, in " + released)
          .isGreaterThanOrEqualTo(3);
    }
  }

  @Nested
  class Idempotency {

    @Test
    void aDuplicateEnqueueIsANoOpRecordedAsSuch() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a1"));

      assertThat(q.releasedIds()).containsExactly("a1");
      assertThat(q.last("a1").getReason()).isEqualTo(ReasonCode.DUPLICATE);
      assertThat(q.last("a1").getState()).isEqualTo(ActivityState.RELEASED);
    }

    /**
     * What the tiered store keeps in RocksDB, the ended activity's record and its forget deadline,
     * is found by a duplicate within the retention and by the tick that ends it.
     */
    @Test
    void aFinishedActivityIsRememberedForItsRetentionAndForgottenAfter() {
      var q = start(QueueSettings.defaults().withFinishedRetention(Duration.ofMinutes(1)));
      q.enqueue(script("h1", "a1"));
      q.succeed(only(q.releases()));
      q.advance(Duration.ofSeconds(30));

      q.enqueue(script("h1", "a1"));
      assertThat(q.releases()).isEmpty();
      assertThat(q.last("a1").getReason()).isEqualTo(ReasonCode.DUPLICATE);
      assertThat(q.last("a1").getState()).isEqualTo(ActivityState.SUCCEEDED);

      q.advance(Duration.ofSeconds(31));
      q.enqueue(script("h1", "a1"));
      assertThat(q.releasedIds()).as("forgotten, so accepted anew").containsExactly("a1");
    }

    @Test
    void aDuplicateResultIsANoOp() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      q.enqueue(script("h1", "a2"));
      q.enqueue(script("h1", "a3"));
      ReleasedActivity a1 = only(q.releases());

      q.succeed(a1);
      q.succeed(a1);

      assertThat(q.releasedIds()).containsExactly("a2");
      assertThat(q.last("a1").getReason()).isEqualTo(ReasonCode.DUPLICATE);
    }

    @Test
    void onlyEndsOtherThanByAReportGoToTheRevocationsTopicEachOnceAsOnTheEventsTopic() {
      var q = start();
      q.enqueue(script("h1", "ran").setTimeoutMs(60_000L));
      q.enqueue(script("h1", "cancelled-running"));
      q.enqueue(script("h1", "cancelled-upcoming"));
      q.enqueue(script("h1", "silent").setTimeoutMs(60_000L));
      ReleasedActivity ran = only(q.releases());
      q.deliver(ran);
      q.succeed(ran);
      ReleasedActivity running = only(q.releases());
      q.cancel("h1", "cancelled-upcoming");
      q.cancel("h1", "cancelled-running");
      q.succeed(running); // late: a note restating CANCELLED, not a second revocation
      only(q.releases());
      q.advance(Duration.ofSeconds(61));

      List<LifecycleEvent> revoked = q.revocations();
      assertThat(revoked)
          .extracting(LifecycleEvent::getActivityId, LifecycleEvent::getState)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("cancelled-upcoming", ActivityState.CANCELLED),
              org.assertj.core.groups.Tuple.tuple("cancelled-running", ActivityState.CANCELLED),
              org.assertj.core.groups.Tuple.tuple("silent", ActivityState.EXPIRED));
      // The same events as on the lifecycle log, not a copy that could differ.
      assertThat(q.allEvents()).containsAll(revoked);
      assertThat(q.last("cancelled-running").getReason()).isEqualTo(ReasonCode.LATE_RESULT);
    }

    @Test
    void everyTransitionIsOneEventWithAStrictlyIncreasingSequence() {
      var q = start();
      q.enqueue(script("h1", "a1"));
      ReleasedActivity a1 = only(q.releases());
      q.deliver(a1);
      q.succeed(a1);

      assertThat(q.allEvents())
          .extracting(LifecycleEvent::getState, LifecycleEvent::getSequence)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(ActivityState.QUEUED, 1L),
              org.assertj.core.groups.Tuple.tuple(ActivityState.RELEASED, 2L),
              org.assertj.core.groups.Tuple.tuple(ActivityState.DELIVERED, 3L),
              org.assertj.core.groups.Tuple.tuple(ActivityState.SUCCEEDED, 4L));
    }

    @Test
    void aPoisonCommandGoesToTheDeadLetterTopicAndProcessingGoesOn() {
      var q = start();
      q.poisonCommand("h1");
      q.enqueue(script("h1", "a1"));

      assertThat(q.releasedIds()).containsExactly("a1");
      var headers = q.lastDeadLetterHeaders();
      assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.REASON))
          .startsWith("undecodable: ");
      assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.SOURCE_TOPIC))
          .isEqualTo("lineup.commands");
      assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
    }

    @Test
    void anActivityTheQueueCouldNeverReleaseIsDeadLetteredAndTheHostMovesOn() {
      var q = start();
      q.enqueue(script("h1", "before"));
      ReleasedActivity before = only(q.releases());

      // Accepted behind a held lane, it would throw at its release, with every later step of h1.
      q.enqueue(script("h1", "broken").setChannel(Channel.UNKNOWN_CHANNEL));
      q.enqueue(script("h1", "after"));
      q.succeed(before);

      assertThat(q.allEvents()).noneMatch(e -> e.getActivityId().equals("broken"));
      var headers = q.lastDeadLetterHeaders();
      assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.REASON))
          .startsWith("processing failed, no state changed: IllegalArgumentException")
          .contains("no known channel");
      assertThat(DeadLetterHeaders.read(headers, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("1");
      assertThat(q.last("before").getState()).isEqualTo(ActivityState.SUCCEEDED);
      ReleasedActivity after = only(q.releases());
      assertThat(after.getActivity().getActivityId()).isEqualTo("after");
      q.succeed(after);
      assertThat(q.releases()).isEmpty();
      assertThat(q.last("after").getState()).isEqualTo(ActivityState.SUCCEEDED);
    }

    @Test
    void aCommandKeyedToAnotherHostIsDeadLetteredNotApplied() {
      var q = start();
      q.commandKeyed(
          "h2",
          Command.newBuilder()
              .setCommandId("c1")
              .setHostId("h1")
              .setIssuedAt(q.now())
              .setBody(Enqueue.newBuilder().setActivity(script("h1", "misrouted").build()).build())
              .build());

      assertThat(q.releases()).isEmpty();
      assertThat(q.allEvents()).isEmpty();
      assertThat(DeadLetterHeaders.read(q.lastDeadLetterHeaders(), DeadLetterHeaders.REASON))
          .contains("keyed h2 names host h1");
    }
  }
}
