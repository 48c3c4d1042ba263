package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.avro.Selector;
import dev.lineup.avro.SoftwareInstallPayload;
import dev.lineup.avro.SoftwareUninstallPayload;
import dev.lineup.schemas.Limits;
import dev.lineup.schemas.StoredText;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
import dev.lineup.sequencer.state.LaneSlot;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * The queue contract of CONTRACT.md, rule by rule, over the stores of one sequencer task.
 *
 * <p>Each handler starts with its idempotency guard, changes state, and puts what it decided in the
 * {@link Outbox}: one lifecycle event per transition, one record per release. Time is always passed
 * in, never read, so a handler does the same thing on a replay.
 *
 * <p>Words used here: a host has lanes ({@code default}, {@code setup}, {@code bypass}); an
 * activity is <em>upcoming</em> until released; upcoming activities are <em>ready</em> once their
 * dependencies succeeded and {@code not_before} passed; a lane's <em>holder</em> is the one
 * activity released (or waiting to retry) in it.
 */
public final class HostQueues {

  private static final List<Lane> ALL_LANES = List.of(Lane.DEFAULT, Lane.SETUP, Lane.BYPASS);
  private static final int DEADLINES_PER_TICK = 10_000;
  private static final int BUDGET_WAITS_PER_TICK = 10_000;

  /** How many deadlines the report of a host's put aside names; the rest are counted. */
  private static final int DEADLINES_NAMED = 10;

  private final QueueState state;
  private final QueueSettings settings;
  private final ReleaseBudget budget;
  private final Outbox outbox;
  private final PendingCancellations cancellations;

  /**
   * @param store the task's queue store, its sections' bounds written ({@link Section#writeBounds})
   */
  public HostQueues(SortedStore store, QueueSettings settings, Outbox outbox) {
    this.state = new QueueState(store);
    this.cancellations = new PendingCancellations(Section.CANCELLATIONS.of(store));
    this.settings = settings;
    this.budget =
        new ReleaseBudget(settings.systemReleasesPerSecond(), settings.systemReleaseBurst());
    this.outbox = outbox;
  }

  /**
   * Forgets what is remembered between steps to save reads; called after a step's writes were
   * discarded, since it may have been learnt from them.
   */
  public void forgetRemembered() {
    state.forgetHints();
    cancellations.forget();
  }

  // ======================================================================== commands

  /** Rules 2, 3, 6, 9 and the dedupe key: accept an activity into its host's queue. */
  public void enqueue(Activity activity, boolean preempt, long now) {
    String id = activity.getActivityId();
    Optional<ActivityRecord> known = state.activity(id);
    if (known.isPresent()) {
      ActivityRecord existing = known.get();
      emit(existing, stateOf(existing), ReasonCode.DUPLICATE, "enqueue repeated", now);
      return;
    }
    HostRecord host = state.hostOrNew(activity.getHostId());
    // A selector cancel under way that has not reached this host must not take the newcomer.
    catchUp(host, now);
    // Dependencies first: a preempting activity that cannot run must not cancel anything, and the
    // ones it waits for are spared by its preemption (rule 6 with rule 4).
    Map<String, ActivityRecord> waitingFor = new LinkedHashMap<>();
    String failedDependency = checkDependencies(activity, waitingFor);
    if (preempt && failedDependency == null) {
      cancelAllUpcoming(
          host,
          ReasonCode.PREEMPTED,
          "preempted by " + id,
          upcomingDependencies(waitingFor.keySet()),
          now);
    }
    Lane lane = activity.getLane();
    if (lane != Lane.BYPASS
        && QueueState.slot(host, lane).getUpcoming() >= settings.maxUpcomingPerLane()) {
      rejectNew(activity, ReasonCode.QUEUE_FULL, "lane " + lane + " is full", now);
      state.putHost(host);
      return;
    }
    String dedupeKey = activity.getDedupeKey();
    if (dedupeKey != null) {
      Optional<String> holder = state.dedupeHolder(activity.getHostId(), dedupeKey);
      if (holder.isPresent()) {
        rejectNew(activity, ReasonCode.DEDUPLICATED, "absorbed by " + holder.get(), now);
        state.putHost(host);
        return;
      }
    }

    long seq = host.getNextSeq();
    host.setNextSeq(seq + 1);
    ActivityRecord a = Records.accepted(activity, seq, rankOf(activity, preempt, seq));

    state.putPayload(activity);
    addUpcoming(host, a);
    String accepted = preempt ? "preempt" : null;
    if (failedDependency != null) {
      emit(a, ActivityState.QUEUED, ReasonCode.ACCEPTED, accepted, now);
      finish(host, a, ActivityState.CANCELLED, ReasonCode.DEPENDENCY_FAILED, failedDependency, now);
      state.putHost(host);
      return;
    }
    waitingFor.forEach(
        (dependencyId, dependency) -> {
          state.addDependent(dependencyId, id);
          if (!dependency.getHasDependents()) {
            dependency.setHasDependents(true);
            state.putActivity(dependency);
          }
        });
    a.setPendingDependencies(waitingFor.size());
    a.setStaleAt(now + settings.maxUpcomingAge().toMillis());
    state.addDeadline(a.getStaleAt(), Deadline.Kind.STALE, id);
    if (a.getNotBefore() != null && a.getNotBefore() > now) {
      state.addDeadline(a.getNotBefore(), Deadline.Kind.NOT_BEFORE, id);
    }
    if (dedupeKey != null) {
      state.putDedupe(activity.getHostId(), dedupeKey, id);
    }
    readyIfEligible(host, a, now);
    // The event stores the new record, once, complete.
    emit(a, ActivityState.QUEUED, ReasonCode.ACCEPTED, accepted, now);
    releaseWhatCan(host, now);
    state.putHost(host);
  }

  /** Rule 5: cancel one activity, upcoming or released. */
  public void cancel(String hostId, String activityId, long now) {
    Optional<ActivityRecord> found = state.activity(activityId);
    if (found.isEmpty() || !found.get().getHostId().equals(hostId)) {
      return;
    }
    ActivityRecord a = found.get();
    ActivityState current = stateOf(a);
    if (isTerminal(current)) {
      emit(a, current, ReasonCode.NOT_CANCELLABLE, "already " + current, now);
      return;
    }
    if (isReleased(current) && isUncancellableOnceReleased(a)) {
      emit(
          a,
          current,
          ReasonCode.NOT_CANCELLABLE,
          "a released " + a.getType() + " runs to its end",
          now);
      return;
    }
    HostRecord host = state.hostOrNew(hostId);
    finish(host, a, ActivityState.CANCELLED, ReasonCode.USER_CANCEL, null, now);
    releaseWhatCan(host, now);
    state.putHost(host);
  }

  /** Cancel every upcoming activity of a host; released ones run on. */
  public void cancelUpcoming(String hostId, long now) {
    Optional<HostRecord> found = state.host(hostId);
    if (found.isEmpty()) {
      return;
    }
    HostRecord host = found.get();
    cancelAllUpcoming(host, ReasonCode.USER_CANCEL, "cancel all upcoming", now);
    releaseWhatCan(host, now);
    state.putHost(host);
  }

  /**
   * Starts cancelling every upcoming activity of every host of this task that the selector matches.
   * Each task gets its own copy of the command, after every command accepted before it. Answers
   * whether the cancel is new (the same command twice is a no-op); its first step is {@link
   * #stepCancelMatching}, which the caller runs at once.
   *
   * <p>A fleet-wide cancel can match more activities than one transaction can end before its
   * timeout, so it goes host by host, in the upcoming index's host order, at most {@code
   * cancel-matching-per-step} activities a step: one step now, one per tick after, resuming at its
   * cursor. Meanwhile the task handles later commands and results, and the cancel must still act as
   * if it had been applied all at once, here. So before anything can happen to a host the cancel
   * has not reached (an enqueue, or a release: results, ticks, resume, cancels all release through
   * one place), that host is brought up to date first ({@link #catchUp}) and marked, and the cancel
   * skips it when it gets there. Then nothing accepted before the cancel is released after it, and
   * nothing accepted after it is cancelled by it.
   */
  public boolean startCancelMatching(Selector selector, String cancellationId, long now) {
    return cancellations.start(cancellationId, selector, now);
  }

  /**
   * The next step of a selector cancel under way, as a step of its own. One that throws is put
   * aside: if one host's part threw, the cancel passes over that host (its matching activities
   * stay) and goes on at the next tick; if anything else threw, the cancel is dropped on this task.
   */
  public void stepCancelMatching(String cancellationId, long now, SeparateSteps steps) {
    RuntimeException failed =
        steps.attempt(() -> cancellations.find(cancellationId).ifPresent(c -> step(c, now)));
    if (failed instanceof HostFailure host) {
      steps.putAside(
          new PutAside(
              host.hostId,
              null,
              "cancellation " + cancellationId + " on host " + host.hostId,
              "the cancel passed over the host, so its matching upcoming activities were not"
                  + " cancelled: cancel them one by one, or purge the host",
              host.failure),
          () -> cancellations.markCaughtUp(cancellationId, host.hostId));
    } else if (failed != null) {
      // Reading every cancel under way meets an unreadable one whichever cancel is stepping.
      String broken =
          failed instanceof PendingCancellations.UnreadableCancellation unreadable
              ? unreadable.cancellationId
              : cancellationId;
      steps.putAside(
          new PutAside(
              broken,
              cancellations.stored(broken),
              "cancellation " + broken + ", dropped on this task",
              "the matching upcoming activities of the hosts it had not reached were not"
                  + " cancelled: send the cancel again",
              failed),
          () -> cancellations.drop(broken));
    }
  }

  /** One step of a selector cancel: hosts from its cursor on, until enough were looked at. */
  private void step(PendingCancellations.Pending cancel, long now) {
    int looked = 0;
    String after = cancel.lastHost();
    while (looked < settings.cancelMatchingPerStep()) {
      Optional<String> next = state.upcoming.firstHostAfter(after);
      if (next.isEmpty()) {
        cancellations.finish(cancel);
        return;
      }
      String hostId = next.get();
      // Passed before anything below releases, so the release does not bring it up to date again.
      cancel.passTo(hostId);
      looked++;
      if (!cancellations.caughtUp(cancel, hostId)) {
        looked +=
            ofHost(
                hostId,
                () -> {
                  HostRecord host = state.hostOrNew(hostId);
                  int seen = cancelMatchingOf(host, cancel, now);
                  releaseWhatCan(host, now);
                  state.putHost(host);
                  return seen;
                });
      }
      after = hostId;
    }
    cancellations.saveCursor(cancel);
  }

  /**
   * Runs one host's part of a selector cancel's step: what it throws is that host's failure, so the
   * cancel can pass over that host alone.
   */
  private static int ofHost(String hostId, IntSupplier part) {
    try {
      return part.getAsInt();
    } catch (PendingCancellations.UnreadableCancellation | HostFailure named) {
      throw named;
    } catch (RuntimeException e) {
      throw new HostFailure(hostId, e);
    }
  }

  /** What one host's part of a selector cancel's step threw. */
  private static final class HostFailure extends RuntimeException {
    final String hostId;
    final RuntimeException failure;

    HostFailure(String hostId, RuntimeException failure) {
      super("host " + hostId + ": " + failure.getMessage(), failure);
      this.hostId = hostId;
      this.failure = failure;
    }
  }

  /**
   * Applies every selector cancel under way that has not reached {@code host} yet to it, before
   * anything else happens to it; the host record is stored by the caller.
   */
  private void catchUp(HostRecord host, long now) {
    if (cancellations.isEmpty()) {
      return;
    }
    String hostId = host.getHostId();
    for (PendingCancellations.Pending cancel : List.copyOf(cancellations.all())) {
      if (!cancel.passed(hostId) && !cancellations.caughtUp(cancel, hostId)) {
        cancelMatchingOf(host, cancel, now);
        cancellations.markCaughtUp(cancel.id, hostId);
      }
    }
  }

  /** Cancels the host's upcoming activities that the selector matches; answers how many it saw. */
  private int cancelMatchingOf(HostRecord host, PendingCancellations.Pending cancel, long now) {
    List<String> upcoming = state.upcomingIds(host.getHostId(), Integer.MAX_VALUE);
    for (String id : upcoming) {
      state
          .activity(id)
          .filter(a -> stateOf(a) == ActivityState.QUEUED)
          .filter(a -> matches(cancel.selector, a))
          .ifPresent(
              a ->
                  finish(
                      host,
                      a,
                      ActivityState.CANCELLED,
                      ReasonCode.USER_CANCEL,
                      "cancellation " + cancel.id,
                      now));
    }
    return upcoming.size();
  }

  private boolean matches(Selector selector, ActivityRecord a) {
    if (selector.getType() != null && !selector.getType().name().equals(a.getType())) {
      return false;
    }
    if (selector.getInstallerId() == null && selector.getScriptSha256() == null) {
      return true;
    }
    Object payload = state.payload(a.getActivityId()).getPayload();
    if (selector.getInstallerId() != null
        && !selector.getInstallerId().equals(installerOf(payload))) {
      return false;
    }
    return selector.getScriptSha256() == null
        || scriptsOf(payload).contains(selector.getScriptSha256());
  }

  private static String installerOf(Object payload) {
    if (payload instanceof SoftwareInstallPayload install) {
      return install.getInstallerId();
    }
    if (payload instanceof SoftwareUninstallPayload uninstall) {
      return uninstall.getInstallerId();
    }
    return null;
  }

  private static Set<String> scriptsOf(Object payload) {
    Set<String> scripts = new java.util.HashSet<>();
    if (payload instanceof ScriptRunPayload script) {
      scripts.add(script.getScriptSha256());
    } else if (payload instanceof SoftwareInstallPayload install) {
      scripts.add(install.getInstallScriptSha256());
      scripts.add(install.getPostInstallScriptSha256());
      scripts.add(install.getUninstallScriptSha256());
    } else if (payload instanceof SoftwareUninstallPayload uninstall) {
      scripts.add(uninstall.getUninstallScriptSha256());
    }
    scripts.remove(null);
    return scripts;
  }

  /** Rule 3: a paused host releases nothing; what is released runs on. */
  public void pause(String hostId) {
    HostRecord host = state.hostOrNew(hostId);
    host.setPaused(true);
    state.putHost(host);
  }

  public void resume(String hostId, long now) {
    Optional<HostRecord> found = state.host(hostId);
    if (found.isEmpty() || !found.get().getPaused()) {
      return;
    }
    HostRecord host = found.get();
    host.setPaused(false);
    releaseWhatCan(host, now);
    state.putHost(host);
  }

  /** Rule 13: end every activity of the host (HOST_PURGED) and forget the host. */
  public void purge(String hostId, long now) {
    Optional<HostRecord> found = state.host(hostId);
    if (found.isEmpty()) {
      return;
    }
    HostRecord host = found.get();
    cancelAllUpcoming(host, ReasonCode.HOST_PURGED, "host purged", now);
    for (String id : state.releasedIds(hostId)) {
      state
          .activity(id)
          .filter(a -> isReleased(stateOf(a)))
          .ifPresent(
              a ->
                  finish(
                      host,
                      a,
                      ActivityState.CANCELLED,
                      ReasonCode.HOST_PURGED,
                      "host purged",
                      now));
    }
    for (Lane lane : ALL_LANES) {
      state.budgetWaits.remove(hostId, lane);
    }
    state.deleteHost(host);
  }

  // ======================================================================== results

  /** Rules 5, 7, 8, 12: delivered, heartbeat, succeeded, failed. */
  public void onResult(ActivityResult result, long now) {
    Optional<ActivityRecord> found = state.activity(result.getActivityId());
    if (found.isEmpty() || !found.get().getHostId().equals(result.getHostId())) {
      return;
    }
    ActivityRecord a = found.get();
    ActivityState current = stateOf(a);
    boolean outcome =
        switch (result.getKind()) {
          case SUCCEEDED, FAILED -> true;
          default -> false;
        };
    if (!isReleased(current) || result.getAttempt() != a.getAttempt()) {
      if (outcome) {
        boolean repeat =
            result.getAttempt() == a.getAttempt() && current.name().equals(result.getKind().name());
        emit(
            a,
            current,
            repeat ? ReasonCode.DUPLICATE : ReasonCode.LATE_RESULT,
            result.getKind() + " for attempt " + result.getAttempt() + " ignored",
            now);
      }
      return;
    }
    HostRecord host = state.hostOrNew(a.getHostId());
    switch (result.getKind()) {
      case DELIVERED -> {
        if (current == ActivityState.RELEASED) {
          emit(a, ActivityState.DELIVERED, ReasonCode.DELIVERED, null, now);
        }
      }
      case HEARTBEAT -> extendLease(a, result.getLeaseExtensionMs(), now);
      case SUCCEEDED ->
          finish(
              host,
              a,
              ActivityState.SUCCEEDED,
              ReasonCode.SUCCEEDED,
              null,
              result.getExitCode(),
              StoredText.of(result.getOutput(), Limits.OUTPUT_BYTES),
              now);
      case FAILED -> {
        if (a.getAttempt() < a.getMaxAttempts()) {
          scheduleRetry(host, a, result, now);
        } else {
          finish(
              host,
              a,
              ActivityState.FAILED,
              ReasonCode.FAILED,
              null,
              result.getExitCode(),
              StoredText.of(result.getOutput(), Limits.OUTPUT_BYTES),
              now);
        }
      }
      default -> {
        return;
      }
    }
    releaseWhatCan(host, now);
    state.putHost(host);
  }

  // ======================================================================== time

  /**
   * Rules 7, 8, 9 and 10 over time, every part straight on the stores: what a part throws is thrown
   * on (see {@link SeparateSteps#DIRECT}).
   */
  public void onTime(long now) {
    onTime(now, SeparateSteps.DIRECT);
  }

  /**
   * Rules 7, 8, 9 and 10 over time: lapsed leases, finished backoffs, passed {@code not_before},
   * stale activities, forgotten records, and lanes waiting for the release budget; and the next
   * step of each selector cancel under way.
   *
   * <p>Rule 14: a tick is not one step but many, each all or nothing on its own ({@code steps}): a
   * step of each selector cancel, each host's due deadlines with the releases they allow, each lane
   * served from the release budget. A part that throws is discarded and then put aside, so that it
   * cannot fail again ({@link PutAside}): one host's broken state neither stops the other hosts of
   * the task nor fails every tick after.
   */
  public void onTime(long now, SeparateSteps steps) {
    for (String id : cancellations.ids()) {
      stepCancelMatching(id, now, steps);
    }
    for (Map.Entry<String, List<Deadlines.Due>> host : dueByHost(now, steps).entrySet()) {
      List<Deadlines.Due> due = host.getValue();
      RuntimeException failed = steps.attempt(() -> onDeadlines(due, now));
      if (failed != null) {
        steps.putAside(
            deadlinesPutAside(host.getKey(), due, failed),
            () -> due.forEach(d -> state.deadlines.delete(d.key())));
      }
    }
    if (budget.available(now)) {
      for (BudgetWaits.HostLane wait : state.budgetWaits.next(BUDGET_WAITS_PER_TICK)) {
        RuntimeException failed = steps.attempt(() -> serveBudgetWait(wait, now));
        if (failed != null) {
          steps.putAside(budgetWaitPutAside(wait, failed), () -> state.budgetWaits.delete(wait));
        }
        if (!budget.available(now)) {
          break;
        }
      }
    }
  }

  /**
   * The due deadlines by host: each host's in the order they are due, the hosts in the order their
   * first one is due. Deadlines of activities no longer stored come under a null host: they are
   * only removed. One whose key or activity record cannot be read names no host, and is put aside
   * here, alone.
   */
  private Map<String, List<Deadlines.Due>> dueByHost(long now, SeparateSteps steps) {
    Map<String, List<Deadlines.Due>> byHost = new LinkedHashMap<>();
    for (Deadlines.Due due : state.deadlines.due(now, DEADLINES_PER_TICK)) {
      if (due.deadline() == null) {
        steps.putAside(
            new PutAside(
                null,
                due.key(),
                "a deadline key of " + due.key().length + " bytes that does not parse",
                "nothing can be known of what was due; the key is the dead letter's value",
                new IllegalStateException("a deadline key does not parse")),
            () -> state.deadlines.delete(due.key()));
        continue;
      }
      Optional<ActivityRecord> activity;
      try {
        activity = state.activity(due.deadline().activityId());
      } catch (RuntimeException unreadable) {
        steps.putAside(
            unreadableDeadline(due.deadline(), unreadable),
            () -> state.deadlines.delete(due.key()));
        continue;
      }
      byHost
          .computeIfAbsent(
              activity.map(ActivityRecord::getHostId).orElse(null), h -> new ArrayList<>())
          .add(due);
    }
    return byHost;
  }

  /**
   * One host's due deadlines, then the releases they allow, once: an activity that became ready in
   * this tick competes with the rest for its lane's next release.
   */
  private void onDeadlines(List<Deadlines.Due> due, long now) {
    due.forEach(d -> state.deadlines.delete(d.key()));
    Map<String, HostRecord> touched = new LinkedHashMap<>();
    for (Deadlines.Due d : due) {
      state
          .activity(d.deadline().activityId())
          .ifPresent(a -> onDeadline(d.deadline(), a, touched, now));
    }
    for (HostRecord host : touched.values()) {
      releaseWhatCan(host, now);
      state.putHost(host);
    }
  }

  private void serveBudgetWait(BudgetWaits.HostLane wait, long now) {
    if (wait.hostId() == null) {
      throw new IllegalStateException("a budget-wait key does not parse");
    }
    state.budgetWaits.delete(wait);
    state.budgetWaits.served(wait);
    state
        .host(wait.hostId())
        .ifPresent(
            host -> {
              releaseNext(host, wait.lane(), now);
              state.putHost(host);
            });
  }

  private static PutAside deadlinesPutAside(
      String hostId, List<Deadlines.Due> due, RuntimeException failed) {
    StringBuilder named = new StringBuilder();
    for (int i = 0; i < Math.min(due.size(), DEADLINES_NAMED); i++) {
      Deadline d = due.get(i).deadline();
      named.append(i == 0 ? "" : ", ").append(d.kind()).append(" of ").append(d.activityId());
    }
    if (due.size() > DEADLINES_NAMED) {
      named.append(" and ").append(due.size() - DEADLINES_NAMED).append(" more");
    }
    if (hostId == null) {
      return new PutAside(
          null,
          null,
          "the due deadlines of activities no longer stored (" + named + ")",
          "nothing: they were only to be removed",
          failed);
    }
    return new PutAside(
        hostId,
        null,
        "the due deadlines of host " + hostId + " (" + named + ")",
        "what they were due to do (a lease to lapse, a retry or not_before to come, a stale"
            + " activity to end) will not happen, so the host's lanes may stay held: look at GET"
            + " /v1/hosts/"
            + hostId
            + "/queue, and purge the host if it does not move",
        failed);
  }

  private static PutAside unreadableDeadline(Deadline due, RuntimeException failed) {
    return new PutAside(
        due.activityId(),
        null,
        "the "
            + due.kind()
            + " deadline of activity "
            + due.activityId()
            + " (due "
            + Instant.ofEpochMilli(due.at())
            + "), whose record cannot be read",
        "the activity's host (GET /v1/activities/"
            + due.activityId()
            + ") may stay held: purge it if its queue does not move",
        failed);
  }

  private static PutAside budgetWaitPutAside(BudgetWaits.HostLane wait, RuntimeException failed) {
    if (wait.hostId() == null) {
      return new PutAside(
          null,
          wait.key(),
          "a budget-wait key of " + wait.key().length + " bytes that does not parse",
          "nothing can be known of which lane waited; the key is the dead letter's value",
          failed);
    }
    return new PutAside(
        wait.hostId(),
        null,
        "the wait of host " + wait.hostId() + "'s " + wait.lane() + " lane for the release budget",
        "the lane's next system-initiated activity waits for the host's next event (a result, an"
            + " enqueue, a resume): purge the host if its queue does not move",
        failed);
  }

  /**
   * Applies one due deadline. A host it changes, or that may now release something, joins {@code
   * touched}, loaded once: the tick releases and stores each of them at its end.
   */
  private void onDeadline(
      Deadline due, ActivityRecord a, Map<String, HostRecord> touched, long now) {
    ActivityState current = stateOf(a);
    switch (due.kind()) {
      case LEASE -> {
        if (isReleased(current) && Long.valueOf(due.at()).equals(a.getLeaseExpiresAt())) {
          HostRecord host = touched.computeIfAbsent(a.getHostId(), state::hostOrNew);
          finish(host, a, ActivityState.EXPIRED, ReasonCode.LEASE_EXPIRED, null, now);
        }
      }
      case RETRY, NOT_BEFORE -> {
        if (current == ActivityState.QUEUED) {
          HostRecord host = touched.computeIfAbsent(a.getHostId(), state::hostOrNew);
          readyIfEligible(host, a, now);
          state.putActivity(a);
        }
      }
      case STALE -> {
        if (current == ActivityState.QUEUED && Long.valueOf(due.at()).equals(a.getStaleAt())) {
          HostRecord host = touched.computeIfAbsent(a.getHostId(), state::hostOrNew);
          finish(
              host,
              a,
              ActivityState.EXPIRED,
              ReasonCode.STALE,
              "waited longer than " + settings.maxUpcomingAge(),
              now);
        }
      }
      case FORGET -> {
        if (isTerminal(current)) {
          state.deleteActivity(a.getActivityId());
        }
      }
    }
  }

  // ======================================================================== transitions

  /** Releases whatever the host's lanes allow now: one per ordered lane, every ready bypass. */
  private void releaseWhatCan(HostRecord host, long now) {
    if (host.getPaused()) {
      return;
    }
    for (Lane lane : ALL_LANES) {
      releaseNext(host, lane, now);
    }
  }

  /** Rules 1, 2, 8, 10: the next release of one lane, if its holder and the budget allow it. */
  private void releaseNext(HostRecord host, Lane lane, long now) {
    if (host.getPaused()) {
      return;
    }
    // Every release passes here: nothing a selector cancel under way should end may escape it.
    catchUp(host, now);
    String hostId = host.getHostId();
    if (lane == Lane.BYPASS) {
      // Never ordered, never blocked: every ready bypass activity goes at once.
      for (InitiatorKind initiator : List.of(InitiatorKind.USER, InitiatorKind.SYSTEM)) {
        for (String id : state.readyIds(host, Lane.BYPASS, initiator, Integer.MAX_VALUE)) {
          state.activity(id).ifPresent(a -> release(host, a, ReasonCode.RELEASED, now));
        }
      }
      return;
    }
    LaneSlot slot = QueueState.slot(host, lane);
    if (slot.getHolder() != null) {
      ActivityRecord holder = state.activity(slot.getHolder()).orElse(null);
      if (holder != null
          && stateOf(holder) == ActivityState.QUEUED
          && holder.getRetryAt() != null
          && holder.getRetryAt() <= now) {
        // Rule 8: a retry keeps its place at the head of its lane.
        release(host, holder, ReasonCode.RETRY_RELEASED, now);
      }
      return;
    }
    Optional<ReadyIndex.Head> user = state.firstReady(host, lane, InitiatorKind.USER);
    Optional<ReadyIndex.Head> system = state.firstReady(host, lane, InitiatorKind.SYSTEM);
    if (user.isEmpty() && system.isEmpty()) {
      return;
    }
    ReadyIndex.Head next;
    if (system.isPresent() && (user.isEmpty() || system.get().ranksBefore(user.get()))) {
      if (budget.tryTake(now)) {
        next = system.get();
      } else if (user.isPresent()) {
        // Rule 10: the budget holds back system work only, never a user's.
        next = user.get();
      } else {
        state.budgetWaits.add(hostId, lane);
        return;
      }
    } else {
      next = user.get();
    }
    state.activity(next.activityId()).ifPresent(a -> release(host, a, ReasonCode.RELEASED, now));
  }

  private void release(HostRecord host, ActivityRecord a, ReasonCode reason, long now) {
    Activity activity = state.payload(a.getActivityId());
    Lane lane = Lane.valueOf(a.getLane());
    removeUpcoming(host, a);
    state.removeDeadline(a.getRetryAt(), Deadline.Kind.RETRY, a.getActivityId());
    a.setRetryAt(null);
    a.setAttempt(a.getAttempt() + 1);
    // Clamped to rule 15 even though intake refuses other values: a record on lineup.commands may
    // come from another writer, and a lease past what a timestamp holds wedges whoever stores it.
    long lease =
        Limits.lease(
            activity.getTimeoutMs() != null
                ? activity.getTimeoutMs()
                : settings.lease(activity.getType()).toMillis());
    a.setLeaseExpiresAt(now + lease);
    state.addDeadline(a.getLeaseExpiresAt(), Deadline.Kind.LEASE, a.getActivityId());
    if (lane != Lane.BYPASS) {
      QueueState.slot(host, lane).setHolder(a.getActivityId());
    }
    state.addReleased(a);
    emit(a, ActivityState.RELEASED, reason, null, now);
    outbox.release(Records.released(activity, a.getAttempt(), now, a.getLeaseExpiresAt()));
  }

  private void scheduleRetry(HostRecord host, ActivityRecord a, ActivityResult result, long now) {
    state.removeReleased(a);
    state.removeDeadline(a.getLeaseExpiresAt(), Deadline.Kind.LEASE, a.getActivityId());
    a.setLeaseExpiresAt(null);
    // Rule 15 bounds each input, not their product: 1 day x 10^19 would be centuries, and past
    // Long.MAX_VALUE it wraps to the past. A wait is never longer than the longest backoff.
    double grown = a.getBackoffMs() * Math.pow(a.getBackoffMultiplier(), a.getAttempt() - 1);
    long backoff =
        Double.isNaN(grown)
            ? 0
            : (long) Math.max(0, Math.min(grown, Limits.MAX_BACKOFF.toMillis()));
    a.setRetryAt(now + backoff);
    state.addDeadline(a.getRetryAt(), Deadline.Kind.RETRY, a.getActivityId());
    // Still the holder of its lane: nothing behind it runs before its retry.
    a.setReady(false);
    addUpcoming(host, a);
    emit(
        a,
        ActivityState.QUEUED,
        ReasonCode.FAILED,
        "attempt "
            + a.getAttempt()
            + " of "
            + a.getMaxAttempts()
            + " failed; retry in "
            + backoff
            + " ms",
        result.getExitCode(),
        StoredText.of(result.getOutput(), Limits.OUTPUT_BYTES),
        now);
  }

  /** Rule 7: a heartbeat moves the lease later, never earlier, and never past rule 15's bound. */
  private void extendLease(ActivityRecord a, Long extensionMs, long now) {
    long extension =
        Limits.lease(
            extensionMs != null && extensionMs > 0
                ? extensionMs
                : settings.lease(ActivityType.valueOf(a.getType())).toMillis());
    long until = now + extension;
    if (a.getLeaseExpiresAt() != null && a.getLeaseExpiresAt() >= until) {
      return;
    }
    state.removeDeadline(a.getLeaseExpiresAt(), Deadline.Kind.LEASE, a.getActivityId());
    a.setLeaseExpiresAt(until);
    state.addDeadline(a.getLeaseExpiresAt(), Deadline.Kind.LEASE, a.getActivityId());
    state.putActivity(a);
  }

  private void finish(
      HostRecord host,
      ActivityRecord a,
      ActivityState end,
      ReasonCode reason,
      String detail,
      long now) {
    finish(host, a, end, reason, detail, null, null, now);
  }

  /** Ends an activity in {@code end}, frees what it held, and settles its dependents (rule 4). */
  private void finish(
      HostRecord host,
      ActivityRecord a,
      ActivityState end,
      ReasonCode reason,
      String detail,
      Integer exitCode,
      String output,
      long now) {
    String id = a.getActivityId();
    ActivityState before = stateOf(a);
    if (before == ActivityState.QUEUED) {
      removeUpcoming(host, a);
    } else if (isReleased(before)) {
      state.removeReleased(a);
    }
    state.removeDeadline(a.getLeaseExpiresAt(), Deadline.Kind.LEASE, id);
    state.removeDeadline(a.getRetryAt(), Deadline.Kind.RETRY, id);
    Lane lane = Lane.valueOf(a.getLane());
    if (lane != Lane.BYPASS && id.equals(QueueState.slot(host, lane).getHolder())) {
      QueueState.slot(host, lane).setHolder(null);
    }
    a.setLeaseExpiresAt(null);
    a.setRetryAt(null);
    a.setForgetAt(now + settings.finishedRetention().toMillis());
    state.addDeadline(a.getForgetAt(), Deadline.Kind.FORGET, id);
    state.deletePayload(id);
    List<String> dependents = a.getHasDependents() ? state.takeDependents(id) : List.of();
    a.setHasDependents(false);
    emit(a, end, reason, detail, exitCode, output, now);

    for (String dependentId : dependents) {
      state
          .activity(dependentId)
          .filter(d -> stateOf(d) == ActivityState.QUEUED)
          .ifPresent(
              d -> {
                if (end == ActivityState.SUCCEEDED) {
                  d.setPendingDependencies(d.getPendingDependencies() - 1);
                  readyIfEligible(host, d, now);
                  state.putActivity(d);
                } else {
                  finish(
                      host,
                      d,
                      ActivityState.CANCELLED,
                      ReasonCode.DEPENDENCY_FAILED,
                      id + " ended " + end,
                      now);
                }
              });
    }
  }

  private void cancelAllUpcoming(HostRecord host, ReasonCode reason, String detail, long now) {
    cancelAllUpcoming(host, reason, detail, Set.of(), now);
  }

  private void cancelAllUpcoming(
      HostRecord host, ReasonCode reason, String detail, Set<String> spared, long now) {
    for (String id : state.upcomingIds(host.getHostId(), Integer.MAX_VALUE)) {
      if (spared.contains(id)) {
        continue;
      }
      state
          .activity(id)
          .filter(a -> stateOf(a) == ActivityState.QUEUED)
          .ifPresent(a -> finish(host, a, ActivityState.CANCELLED, reason, detail, now));
    }
  }

  /**
   * Rule 4 at acceptance: the dependencies {@code activity} must wait for go into {@code
   * waitingFor}; the answer is why it can never run (a dependency unknown, of another host, or
   * ended other than SUCCEEDED), or null if it can.
   */
  private String checkDependencies(Activity activity, Map<String, ActivityRecord> waitingFor) {
    for (String dependency : activity.getDependsOn()) {
      Optional<ActivityRecord> dep =
          dependency.equals(activity.getActivityId())
              ? Optional.empty()
              : state.activity(dependency);
      if (dep.isEmpty() || !dep.get().getHostId().equals(activity.getHostId())) {
        waitingFor.clear();
        return dependency + " is not an activity of this host";
      }
      ActivityState depState = stateOf(dep.get());
      if (depState == ActivityState.SUCCEEDED) {
        continue;
      }
      if (isTerminal(depState)) {
        waitingFor.clear();
        return dependency + " ended " + depState;
      }
      waitingFor.put(dependency, dep.get());
    }
    return null;
  }

  /**
   * The upcoming activities among {@code ids} and everything they wait for in turn: what a
   * preemption must spare so that the preempting activity can still run.
   */
  private Set<String> upcomingDependencies(Set<String> ids) {
    Set<String> spared = new HashSet<>();
    Deque<String> toVisit = new ArrayDeque<>(ids);
    while (!toVisit.isEmpty()) {
      String id = toVisit.pop();
      Optional<ActivityRecord> dep = state.activity(id);
      if (dep.isEmpty() || stateOf(dep.get()) != ActivityState.QUEUED || !spared.add(id)) {
        continue;
      }
      if (dep.get().getPendingDependencies() > 0) {
        toVisit.addAll(state.payload(id).getDependsOn());
      }
    }
    return spared;
  }

  // ======================================================================== bookkeeping

  private void addUpcoming(HostRecord host, ActivityRecord a) {
    state.addUpcoming(a);
    Lane lane = Lane.valueOf(a.getLane());
    if (lane != Lane.BYPASS) {
      LaneSlot slot = QueueState.slot(host, lane);
      slot.setUpcoming(slot.getUpcoming() + 1);
    }
  }

  /** Takes an upcoming activity out of every upcoming index (on release or on its end). */
  private void removeUpcoming(HostRecord host, ActivityRecord a) {
    String id = a.getActivityId();
    state.removeUpcoming(a);
    if (a.getReady()) {
      state.removeReady(host, a);
      a.setReady(false);
    }
    state.removeDeadline(a.getStaleAt(), Deadline.Kind.STALE, id);
    state.removeDeadline(a.getNotBefore(), Deadline.Kind.NOT_BEFORE, id);
    a.setStaleAt(null);
    if (a.getDedupeKey() != null
        && state.dedupeHolder(a.getHostId(), a.getDedupeKey()).filter(id::equals).isPresent()) {
      state.deleteDedupe(a.getHostId(), a.getDedupeKey());
    }
    Lane lane = Lane.valueOf(a.getLane());
    if (lane != Lane.BYPASS) {
      LaneSlot slot = QueueState.slot(host, lane);
      slot.setUpcoming(Math.max(0, slot.getUpcoming() - 1));
    }
  }

  /**
   * Rule 3: ready once every dependency succeeded and {@code not_before} passed. Counts it in
   * {@code host}, which the caller stores.
   */
  private void readyIfEligible(HostRecord host, ActivityRecord a, long now) {
    // An ordered lane's retry is released through its lane's holder slot, never the ready index;
    // a bypass retry has no slot, so it becomes ready again once its backoff is over.
    boolean retryWaits =
        a.getRetryAt() != null && (!Lane.BYPASS.name().equals(a.getLane()) || a.getRetryAt() > now);
    boolean eligible =
        stateOf(a) == ActivityState.QUEUED
            && !retryWaits
            && a.getPendingDependencies() == 0
            && (a.getNotBefore() == null || a.getNotBefore() <= now);
    if (eligible && !a.getReady()) {
      a.setReady(true);
      state.addReady(host, a);
    }
  }

  /** Rules 6 and 11: a preempt goes first in its lane; the rest rank as the deployment says. */
  private byte[] rankOf(Activity activity, boolean preempt, long seq) {
    return preempt
        ? Ranking.head(seq)
        : settings
            .ranking()
            .key(
                activity.getPriority(),
                activity.getAcceptedAt().toEpochMilli(),
                seq,
                settings.agingStep());
  }

  // ======================================================================== events

  private void emit(
      ActivityRecord a, ActivityState to, ReasonCode reason, String detail, long now) {
    emit(a, to, reason, detail, null, null, now);
  }

  /** One lifecycle event; the record's event sequence moves on and the record is stored. */
  private void emit(
      ActivityRecord a,
      ActivityState to,
      ReasonCode reason,
      String detail,
      Integer exitCode,
      String output,
      long now) {
    a.setState(to.name());
    a.setEventSeq(a.getEventSeq() + 1);
    state.putActivity(a);
    outbox.event(Records.event(a, to, reason, detail, exitCode, output, now));
  }

  /** An activity refused before it was queued: REQUESTED straight to REJECTED. */
  private void rejectNew(Activity activity, ReasonCode reason, String detail, long now) {
    outbox.event(Records.rejected(activity, reason, detail, now));
  }

  // ======================================================================== vocabulary

  static ActivityState stateOf(ActivityRecord a) {
    return ActivityState.valueOf(a.getState());
  }

  static boolean isTerminal(ActivityState s) {
    return switch (s) {
      case SUCCEEDED, FAILED, CANCELLED, EXPIRED, REJECTED -> true;
      default -> false;
    };
  }

  static boolean isReleased(ActivityState s) {
    return s == ActivityState.RELEASED || s == ActivityState.DELIVERED;
  }

  private static boolean isUncancellableOnceReleased(ActivityRecord a) {
    String type = a.getType();
    return type.equals(ActivityType.LOCK.name()) || type.equals(ActivityType.WIPE.name());
  }

  private static byte[] toArray(ByteBuffer buffer) {
    return QueueState.toArray(buffer);
  }
}
