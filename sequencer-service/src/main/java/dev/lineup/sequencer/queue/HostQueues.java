package dev.lineup.sequencer.queue;

import static dev.lineup.avro.ActivityState.CANCELLED;
import static dev.lineup.avro.ActivityState.DELIVERED;
import static dev.lineup.avro.ActivityState.EXPIRED;
import static dev.lineup.avro.ActivityState.QUEUED;
import static dev.lineup.avro.ActivityState.RELEASED;
import static dev.lineup.avro.ActivityState.SUCCEEDED;
import static dev.lineup.avro.Lane.BYPASS;
import static dev.lineup.sequencer.queue.Deadline.Kind.FORGET;
import static dev.lineup.sequencer.queue.Deadline.Kind.LEASE;
import static dev.lineup.sequencer.queue.Deadline.Kind.NOT_BEFORE;
import static dev.lineup.sequencer.queue.Deadline.Kind.RETRY;
import static dev.lineup.sequencer.queue.Deadline.Kind.STALE;

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

  private static final int DEADLINES_PER_TICK = 10_000;
  private static final int BUDGET_WAITS_PER_TICK = 10_000;

  /** How many deadlines the report of a host's put aside names; the rest are counted. */
  private static final int DEADLINES_NAMED = 10;

  private final StoredQueues stored;
  private final QueueSettings settings;
  private final ReleaseBudget budget;
  private final Outbox outbox;
  private final PendingCancellations cancellations;

  /**
   * @param store the task's queue store, its sections' bounds written ({@link Section#writeBounds})
   */
  public HostQueues(SortedStore store, QueueSettings settings, Outbox outbox) {
    this.stored = new StoredQueues(store);
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
    stored.forgetHints();
    cancellations.forget();
  }

  // ======================================================================== commands

  /** Rules 2, 3, 6, 9 and the dedupe key: accept an activity into its host's queue. */
  public void enqueue(Activity activity, boolean preempt, long now) {
    String id = activity.getActivityId();
    Optional<QueuedActivity> known = stored.activity(id);
    if (known.isPresent()) {
      note(known.get(), ReasonCode.DUPLICATE, "enqueue repeated", now);
      return;
    }
    Host host = stored.hostOrNew(activity.getHostId());
    // A selector cancel under way that has not reached this host must not take the newcomer.
    catchUp(host, now);
    // Dependencies first: a preempting activity that cannot run must not cancel anything, and the
    // ones it waits for are spared by its preemption (rule 6 with rule 4).
    Map<String, QueuedActivity> waitingFor = new LinkedHashMap<>();
    String cannotRun = checkDependencies(activity, waitingFor);
    if (preempt && cannotRun == null) {
      Set<String> spared = upcomingDependencies(waitingFor.keySet());
      cancelAllUpcoming(host, ReasonCode.PREEMPTED, "preempted by " + id, spared, now);
    }
    Lane lane = activity.getLane();
    if (lane != BYPASS && host.upcoming(lane) >= settings.maxUpcomingPerLane()) {
      reject(activity, ReasonCode.QUEUE_FULL, "lane " + lane + " is full", now);
      stored.save(host);
      return;
    }
    String dedupeKey = activity.getDedupeKey();
    if (dedupeKey != null) {
      Optional<String> holder = stored.dedupeHolder(activity.getHostId(), dedupeKey);
      if (holder.isPresent()) {
        reject(activity, ReasonCode.DEDUPLICATED, "absorbed by " + holder.get(), now);
        stored.save(host);
        return;
      }
    }

    long seq = host.takeSeq();
    QueuedActivity a = stored.accept(activity, seq, rankOf(activity, preempt, seq));
    stored.joinUpcoming(host, a);
    String accepted = preempt ? "preempt" : null;
    if (cannotRun != null) {
      emit(a, QUEUED, ReasonCode.ACCEPTED, accepted, now);
      finish(host, a, CANCELLED, ReasonCode.DEPENDENCY_FAILED, cannotRun, now);
      stored.save(host);
      return;
    }
    waitingFor.values().forEach(dependency -> stored.waitFor(dependency, id));
    a.waitFor(waitingFor.size());
    a.reschedule(STALE, now + settings.maxUpcomingAge().toMillis());
    if (a.notBefore() != null && a.notBefore() > now) {
      a.reschedule(NOT_BEFORE, a.notBefore());
    }
    if (dedupeKey != null) {
      stored.holdDedupeKey(a);
    }
    becomeReadyIfEligible(host, a, now);
    // The event stores the new record, once, complete.
    emit(a, QUEUED, ReasonCode.ACCEPTED, accepted, now);
    releaseWhatCan(host, now);
    stored.save(host);
  }

  /** Rule 5: cancel one activity, upcoming or released. */
  public void cancel(String hostId, String activityId, long now) {
    Optional<QueuedActivity> found = stored.activity(activityId);
    if (found.isEmpty() || !found.get().hostId().equals(hostId)) {
      return;
    }
    QueuedActivity a = found.get();
    if (a.hasEnded()) {
      note(a, ReasonCode.NOT_CANCELLABLE, "already " + a.state(), now);
      return;
    }
    if (a.isReleased() && runsToItsEnd(a.type())) {
      note(a, ReasonCode.NOT_CANCELLABLE, "a released " + a.type() + " runs to its end", now);
      return;
    }
    Host host = stored.hostOrNew(hostId);
    finish(host, a, CANCELLED, ReasonCode.USER_CANCEL, null, now);
    releaseWhatCan(host, now);
    stored.save(host);
  }

  /** Cancel every upcoming activity of a host; released ones run on. */
  public void cancelUpcoming(String hostId, long now) {
    Optional<Host> found = stored.host(hostId);
    if (found.isEmpty()) {
      return;
    }
    Host host = found.get();
    cancelAllUpcoming(host, ReasonCode.USER_CANCEL, "cancel all upcoming", Set.of(), now);
    releaseWhatCan(host, now);
    stored.save(host);
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
      Optional<String> next = stored.firstHostWithUpcomingAfter(after);
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
                  Host host = stored.hostOrNew(hostId);
                  int seen = cancelMatchingOf(host, cancel, now);
                  releaseWhatCan(host, now);
                  stored.save(host);
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
  private void catchUp(Host host, long now) {
    if (cancellations.isEmpty()) {
      return;
    }
    for (PendingCancellations.Pending cancel : List.copyOf(cancellations.all())) {
      if (!cancel.passed(host.id()) && !cancellations.caughtUp(cancel, host.id())) {
        cancelMatchingOf(host, cancel, now);
        cancellations.markCaughtUp(cancel.id, host.id());
      }
    }
  }

  /** Cancels the host's upcoming activities that the selector matches; answers how many it saw. */
  private int cancelMatchingOf(Host host, PendingCancellations.Pending cancel, long now) {
    List<String> upcoming = stored.upcoming(host.id(), Integer.MAX_VALUE);
    String detail = "cancellation " + cancel.id;
    for (String id : upcoming) {
      stored
          .activity(id)
          .filter(QueuedActivity::isUpcoming)
          .filter(a -> matches(cancel.selector, a))
          .ifPresent(a -> finish(host, a, CANCELLED, ReasonCode.USER_CANCEL, detail, now));
    }
    return upcoming.size();
  }

  private boolean matches(Selector selector, QueuedActivity a) {
    if (selector.getType() != null && selector.getType() != a.type()) {
      return false;
    }
    if (selector.getInstallerId() == null && selector.getScriptSha256() == null) {
      return true;
    }
    Object payload = stored.payload(a.id()).getPayload();
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
    Set<String> scripts = new HashSet<>();
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
    Host host = stored.hostOrNew(hostId);
    host.setPaused(true);
    stored.save(host);
  }

  public void resume(String hostId, long now) {
    Optional<Host> found = stored.host(hostId);
    if (found.isEmpty() || !found.get().isPaused()) {
      return;
    }
    Host host = found.get();
    host.setPaused(false);
    releaseWhatCan(host, now);
    stored.save(host);
  }

  /** Rule 13: end every activity of the host (HOST_PURGED) and forget the host. */
  public void purge(String hostId, long now) {
    Optional<Host> found = stored.host(hostId);
    if (found.isEmpty()) {
      return;
    }
    Host host = found.get();
    cancelAllUpcoming(host, ReasonCode.HOST_PURGED, "host purged", Set.of(), now);
    for (String id : stored.released(hostId)) {
      stored
          .activity(id)
          .filter(QueuedActivity::isReleased)
          .ifPresent(a -> finish(host, a, CANCELLED, ReasonCode.HOST_PURGED, "host purged", now));
    }
    stored.forget(host);
  }

  // ======================================================================== results

  /** Rules 5, 7, 8, 12: delivered, heartbeat, succeeded, failed. */
  public void onResult(ActivityResult result, long now) {
    Optional<QueuedActivity> found = stored.activity(result.getActivityId());
    if (found.isEmpty() || !found.get().hostId().equals(result.getHostId())) {
      return;
    }
    QueuedActivity a = found.get();
    ActivityState current = a.state();
    boolean outcome =
        switch (result.getKind()) {
          case SUCCEEDED, FAILED -> true;
          default -> false;
        };
    if (!a.isReleased() || result.getAttempt() != a.attempt()) {
      if (outcome) {
        boolean repeat =
            result.getAttempt() == a.attempt() && current.name().equals(result.getKind().name());
        note(
            a,
            repeat ? ReasonCode.DUPLICATE : ReasonCode.LATE_RESULT,
            result.getKind() + " for attempt " + result.getAttempt() + " ignored",
            now);
      }
      return;
    }
    Host host = stored.hostOrNew(a.hostId());
    String output = outcome ? StoredText.of(result.getOutput(), Limits.OUTPUT_BYTES) : null;
    switch (result.getKind()) {
      case DELIVERED -> {
        if (current == RELEASED) {
          emit(a, DELIVERED, ReasonCode.DELIVERED, null, now);
        }
      }
      case HEARTBEAT -> extendLease(a, result.getLeaseExtensionMs(), now);
      case SUCCEEDED ->
          finish(host, a, SUCCEEDED, ReasonCode.SUCCEEDED, null, result.getExitCode(), output, now);
      case FAILED -> {
        if (a.attempt() < a.maxAttempts()) {
          scheduleRetry(host, a, result.getExitCode(), output, now);
        } else {
          finish(
              host,
              a,
              ActivityState.FAILED,
              ReasonCode.FAILED,
              null,
              result.getExitCode(),
              output,
              now);
        }
      }
      default -> {
        return;
      }
    }
    releaseWhatCan(host, now);
    stored.save(host);
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
            () -> due.forEach(d -> stored.deadlines().delete(d.key())));
      }
    }
    if (budget.available(now)) {
      for (BudgetWaits.HostLane wait : stored.budgetWaits().next(BUDGET_WAITS_PER_TICK)) {
        RuntimeException failed = steps.attempt(() -> serveBudgetWait(wait, now));
        if (failed != null) {
          steps.putAside(budgetWaitPutAside(wait, failed), () -> stored.budgetWaits().delete(wait));
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
    for (Deadlines.Due due : stored.deadlines().due(now, DEADLINES_PER_TICK)) {
      if (due.deadline() == null) {
        steps.putAside(
            new PutAside(
                null,
                due.key(),
                "a deadline key of " + due.key().length + " bytes that does not parse",
                "nothing can be known of what was due; the key is the dead letter's value",
                new IllegalStateException("a deadline key does not parse")),
            () -> stored.deadlines().delete(due.key()));
        continue;
      }
      Optional<QueuedActivity> activity;
      try {
        activity = stored.activity(due.deadline().activityId());
      } catch (RuntimeException unreadable) {
        steps.putAside(
            unreadableDeadline(due.deadline(), unreadable),
            () -> stored.deadlines().delete(due.key()));
        continue;
      }
      byHost
          .computeIfAbsent(
              activity.map(QueuedActivity::hostId).orElse(null), h -> new ArrayList<>())
          .add(due);
    }
    return byHost;
  }

  /**
   * One host's due deadlines, then the releases they allow, once: an activity that became ready in
   * this tick competes with the rest for its lane's next release.
   */
  private void onDeadlines(List<Deadlines.Due> due, long now) {
    due.forEach(d -> stored.deadlines().delete(d.key()));
    Map<String, Host> touched = new LinkedHashMap<>();
    for (Deadlines.Due d : due) {
      stored
          .activity(d.deadline().activityId())
          .ifPresent(a -> onDeadline(d.deadline(), a, touched, now));
    }
    for (Host host : touched.values()) {
      releaseWhatCan(host, now);
      stored.save(host);
    }
  }

  private void serveBudgetWait(BudgetWaits.HostLane wait, long now) {
    if (wait.hostId() == null) {
      throw new IllegalStateException("a budget-wait key does not parse");
    }
    stored.budgetWaits().delete(wait);
    stored.budgetWaits().served(wait);
    stored
        .host(wait.hostId())
        .ifPresent(
            host -> {
              releaseNext(host, wait.lane(), now);
              stored.save(host);
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
  private void onDeadline(Deadline due, QueuedActivity a, Map<String, Host> touched, long now) {
    switch (due.kind()) {
      case LEASE -> {
        if (a.isReleased() && Long.valueOf(due.at()).equals(a.leaseExpiresAt())) {
          Host host = touched.computeIfAbsent(a.hostId(), stored::hostOrNew);
          finish(host, a, EXPIRED, ReasonCode.LEASE_EXPIRED, null, now);
        }
      }
      case RETRY, NOT_BEFORE -> {
        if (a.isUpcoming()) {
          Host host = touched.computeIfAbsent(a.hostId(), stored::hostOrNew);
          becomeReadyIfEligible(host, a, now);
          stored.save(a);
        }
      }
      case STALE -> {
        if (a.isUpcoming() && Long.valueOf(due.at()).equals(a.staleAt())) {
          Host host = touched.computeIfAbsent(a.hostId(), stored::hostOrNew);
          String detail = "waited longer than " + settings.maxUpcomingAge();
          finish(host, a, EXPIRED, ReasonCode.STALE, detail, now);
        }
      }
      case FORGET -> {
        if (a.hasEnded()) {
          stored.forget(a);
        }
      }
    }
  }

  // ======================================================================== transitions

  /** Releases whatever the host's lanes allow now: one per ordered lane, every ready bypass. */
  private void releaseWhatCan(Host host, long now) {
    if (host.isPaused()) {
      return;
    }
    for (Lane lane : Lane.values()) {
      releaseNext(host, lane, now);
    }
  }

  /** Rules 1, 2, 8, 10: the next release of one lane, if its holder and the budget allow it. */
  private void releaseNext(Host host, Lane lane, long now) {
    if (host.isPaused()) {
      return;
    }
    // Every release passes here: nothing a selector cancel under way should end may escape it.
    catchUp(host, now);
    if (lane == BYPASS) {
      // Never ordered, never blocked: every ready bypass activity goes at once.
      for (InitiatorKind initiator : StoredQueues.INITIATORS) {
        for (String id : stored.ready(host, BYPASS, initiator, Integer.MAX_VALUE)) {
          stored.activity(id).ifPresent(a -> release(host, a, ReasonCode.RELEASED, now));
        }
      }
      return;
    }
    if (host.holder(lane) != null) {
      QueuedActivity holder = stored.activity(host.holder(lane)).orElse(null);
      if (holder != null
          && holder.isUpcoming()
          && holder.retryAt() != null
          && holder.retryAt() <= now) {
        // Rule 8: a retry keeps its place at the head of its lane.
        release(host, holder, ReasonCode.RETRY_RELEASED, now);
      }
      return;
    }
    Optional<ReadyIndex.Head> user = stored.firstReady(host, lane, InitiatorKind.USER);
    Optional<ReadyIndex.Head> system = stored.firstReady(host, lane, InitiatorKind.SYSTEM);
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
        stored.waitForBudget(host.id(), lane);
        return;
      }
    } else {
      next = user.get();
    }
    stored.activity(next.activityId()).ifPresent(a -> release(host, a, ReasonCode.RELEASED, now));
  }

  private void release(Host host, QueuedActivity a, ReasonCode reason, long now) {
    Activity activity = stored.payload(a.id());
    stored.leaveUpcoming(host, a);
    a.unschedule(RETRY);
    a.startAttempt();
    // Clamped to rule 15 even though intake refuses other values: a record on lineup.commands may
    // come from another writer, and a lease past what a timestamp holds wedges whoever stores it.
    long lease =
        Limits.lease(
            activity.getTimeoutMs() != null
                ? activity.getTimeoutMs()
                : settings.lease(activity.getType()).toMillis());
    a.reschedule(LEASE, now + lease);
    if (a.inOrderedLane()) {
      host.hold(a.lane(), a.id());
    }
    stored.joinReleased(a);
    emit(a, RELEASED, reason, null, now);
    outbox.release(Records.released(activity, a.attempt(), now, a.leaseExpiresAt()));
  }

  private void scheduleRetry(
      Host host, QueuedActivity a, Integer exitCode, String output, long now) {
    stored.leaveReleased(a);
    a.unschedule(LEASE);
    // Rule 15 bounds each input, not their product: 1 day x 10^19 would be centuries, and past
    // Long.MAX_VALUE it wraps to the past. A wait is never longer than the longest backoff.
    double grown = a.backoffMs() * Math.pow(a.backoffMultiplier(), a.attempt() - 1);
    long backoff =
        Double.isNaN(grown)
            ? 0
            : (long) Math.max(0, Math.min(grown, Limits.MAX_BACKOFF.toMillis()));
    a.reschedule(RETRY, now + backoff);
    // Still the holder of its lane: nothing behind it runs before its retry.
    a.setReady(false);
    stored.joinUpcoming(host, a);
    String detail =
        "attempt "
            + a.attempt()
            + " of "
            + a.maxAttempts()
            + " failed; retry in "
            + backoff
            + " ms";
    emit(a, QUEUED, ReasonCode.FAILED, detail, exitCode, output, now);
  }

  /** Rule 7: a heartbeat moves the lease later, never earlier, and never past rule 15's bound. */
  private void extendLease(QueuedActivity a, Long extensionMs, long now) {
    long extension =
        Limits.lease(
            extensionMs != null && extensionMs > 0
                ? extensionMs
                : settings.lease(a.type()).toMillis());
    long until = now + extension;
    if (a.leaseExpiresAt() != null && a.leaseExpiresAt() >= until) {
      return;
    }
    a.reschedule(LEASE, until);
    stored.save(a);
  }

  private void finish(
      Host host, QueuedActivity a, ActivityState end, ReasonCode reason, String detail, long now) {
    finish(host, a, end, reason, detail, null, null, now);
  }

  /** Ends an activity in {@code end}, frees what it held, and settles its dependents (rule 4). */
  private void finish(
      Host host,
      QueuedActivity a,
      ActivityState end,
      ReasonCode reason,
      String detail,
      Integer exitCode,
      String output,
      long now) {
    if (a.isUpcoming()) {
      stored.leaveUpcoming(host, a);
    } else if (a.isReleased()) {
      stored.leaveReleased(a);
    }
    a.unschedule(LEASE);
    a.unschedule(RETRY);
    if (a.inOrderedLane() && a.id().equals(host.holder(a.lane()))) {
      host.free(a.lane());
    }
    a.reschedule(FORGET, now + settings.finishedRetention().toMillis());
    stored.dropPayload(a);
    List<String> dependents = stored.takeDependents(a);
    emit(a, end, reason, detail, exitCode, output, now);

    for (String dependentId : dependents) {
      stored
          .activity(dependentId)
          .filter(QueuedActivity::isUpcoming)
          .ifPresent(
              d -> {
                if (end == SUCCEEDED) {
                  d.dependencySucceeded();
                  becomeReadyIfEligible(host, d, now);
                  stored.save(d);
                } else {
                  String why = a.id() + " ended " + end;
                  finish(host, d, CANCELLED, ReasonCode.DEPENDENCY_FAILED, why, now);
                }
              });
    }
  }

  private void cancelAllUpcoming(
      Host host, ReasonCode reason, String detail, Set<String> spared, long now) {
    for (String id : stored.upcoming(host.id(), Integer.MAX_VALUE)) {
      if (spared.contains(id)) {
        continue;
      }
      stored
          .activity(id)
          .filter(QueuedActivity::isUpcoming)
          .ifPresent(a -> finish(host, a, CANCELLED, reason, detail, now));
    }
  }

  /**
   * Rule 4 at acceptance: the dependencies {@code activity} must wait for go into {@code
   * waitingFor}; the answer is why it can never run (a dependency unknown, of another host, or
   * ended other than SUCCEEDED), or null if it can.
   */
  private String checkDependencies(Activity activity, Map<String, QueuedActivity> waitingFor) {
    for (String dependency : activity.getDependsOn()) {
      Optional<QueuedActivity> dep =
          dependency.equals(activity.getActivityId())
              ? Optional.empty()
              : stored.activity(dependency);
      if (dep.isEmpty() || !dep.get().hostId().equals(activity.getHostId())) {
        waitingFor.clear();
        return dependency + " is not an activity of this host";
      }
      if (dep.get().state() == SUCCEEDED) {
        continue;
      }
      if (dep.get().hasEnded()) {
        waitingFor.clear();
        return dependency + " ended " + dep.get().state();
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
      Optional<QueuedActivity> dep = stored.activity(id);
      if (dep.isEmpty() || !dep.get().isUpcoming() || !spared.add(id)) {
        continue;
      }
      if (dep.get().pendingDependencies() > 0) {
        toVisit.addAll(stored.payload(id).getDependsOn());
      }
    }
    return spared;
  }

  /**
   * Rule 3: ready once every dependency succeeded and {@code not_before} passed. Counts it in
   * {@code host}, which the caller stores.
   */
  private void becomeReadyIfEligible(Host host, QueuedActivity a, long now) {
    // An ordered lane's retry is released through its lane's holder slot, never the ready index;
    // a bypass retry has no slot, so it becomes ready again once its backoff is over.
    boolean retryWaits = a.retryAt() != null && (a.inOrderedLane() || a.retryAt() > now);
    boolean eligible =
        a.isUpcoming()
            && !retryWaits
            && a.pendingDependencies() == 0
            && (a.notBefore() == null || a.notBefore() <= now);
    if (eligible && !a.isReady()) {
      stored.becomeReady(host, a);
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

  /** Rule 5: once released, a lock or a wipe can no longer be cancelled. */
  private static boolean runsToItsEnd(ActivityType type) {
    return type == ActivityType.LOCK || type == ActivityType.WIPE;
  }

  // ======================================================================== events

  private void emit(
      QueuedActivity a, ActivityState to, ReasonCode reason, String detail, long now) {
    emit(a, to, reason, detail, null, null, now);
  }

  /** One lifecycle event; the record's event sequence moves on and the record is stored. */
  private void emit(
      QueuedActivity a,
      ActivityState to,
      ReasonCode reason,
      String detail,
      Integer exitCode,
      String output,
      long now) {
    a.moveTo(to);
    stored.save(a);
    outbox.event(Records.event(a, to, reason, detail, exitCode, output, now));
  }

  /** A note (rule 12): an event that repeats the activity's state, which does not change. */
  private void note(QueuedActivity a, ReasonCode reason, String detail, long now) {
    emit(a, a.state(), reason, detail, now);
  }

  /** An activity refused before it was queued: REQUESTED straight to REJECTED. */
  private void reject(Activity activity, ReasonCode reason, String detail, long now) {
    outbox.event(Records.rejected(activity, reason, detail, now));
  }
}
