package dev.lineup.sequencer.queue;

import static dev.lineup.avro.ActivityState.CANCELLED;
import static dev.lineup.avro.ActivityState.DELIVERED;
import static dev.lineup.avro.ActivityState.EXPIRED;
import static dev.lineup.avro.ActivityState.FAILED;
import static dev.lineup.avro.ActivityState.QUEUED;
import static dev.lineup.avro.ActivityState.RELEASED;
import static dev.lineup.avro.ActivityState.SUCCEEDED;
import static dev.lineup.avro.Lane.BYPASS;
import static dev.lineup.sequencer.queue.Deadline.Kind.FORGET;
import static dev.lineup.sequencer.queue.Deadline.Kind.HOST_LEASES;
import static dev.lineup.sequencer.queue.Deadline.Kind.HOST_STALE;
import static dev.lineup.sequencer.queue.Deadline.Kind.LEASE;
import static dev.lineup.sequencer.queue.Deadline.Kind.NOT_BEFORE;
import static dev.lineup.sequencer.queue.Deadline.Kind.RETRY;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.Selector;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.Limits;
import dev.lineup.schemas.ReleasedEncoding;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The queue contract of CONTRACT.md, rule by rule, over the queues of one sequencer task.
 *
 * <p>Each handler starts with its idempotency guard, changes state, and puts what it decided in the
 * {@link Outbox}: one lifecycle event per transition, one record per release. Time is always passed
 * in, never read, so a handler does the same thing on a replay.
 *
 * <p>Words used here: a host has lanes ({@code default}, {@code setup}, {@code bypass}); an
 * activity is <em>upcoming</em> until released; upcoming activities are <em>ready</em> once their
 * dependencies succeeded and {@code not_before} passed; a lane's <em>holder</em> is the one
 * activity released (or waiting to retry) in it.
 *
 * <p>What is not a rule lives beside them: the stored records and the indexes kept over them
 * ({@link StoredQueues}), what an activity's dependencies allow at its acceptance ({@link
 * Dependencies}), bringing a host up to date with the selector cancels under way ({@link
 * SelectorCatchUp}), the events written ({@link LifecycleEvents}, built by {@link Records}), and
 * the split of a tick into steps that fail alone ({@link Tick}).
 */
public final class HostQueues {

  /** Upcoming activities a stale check reads first while their stale times are in order. */
  private static final int STALE_CHECK_PAGE = 64;

  private final StoredQueues stored;
  private final QueueSettings settings;
  private final ReleaseBudget budget;
  private final Outbox outbox;
  private final PendingCancellations cancellations;
  private final Tick tick;
  private final Dependencies dependencies;
  private final SelectorCatchUp catchUp;
  private final LifecycleEvents events;

  /**
   * @param store the task's queue store, in this version's layout ({@link StoredLayout#prepare})
   */
  public HostQueues(SortedStore store, QueueSettings settings, Outbox outbox) {
    this.stored = new StoredQueues(store);
    this.cancellations = new PendingCancellations(Section.CANCELLATIONS.of(store));
    this.settings = settings;
    this.budget =
        new ReleaseBudget(settings.systemReleasesPerSecond(), settings.systemReleaseBurst());
    this.outbox = outbox;
    this.tick = new Tick(this, stored, cancellations, budget, settings.cancelMatchingPerStep());
    this.dependencies = new Dependencies(stored);
    this.catchUp =
        new SelectorCatchUp(
            stored,
            cancellations,
            (host, a, detail, now) ->
                finish(host, a, CANCELLED, ReasonCode.USER_CANCEL, detail, now));
    this.events = new LifecycleEvents(stored, outbox);
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
      events.note(known.get(), ReasonCode.DUPLICATE, "enqueue repeated", now);
      return;
    }
    Host host = stored.hostOrNew(activity.getHostId());
    // A selector cancel under way that has not reached this host must not take the newcomer, and
    // what it frees runs first, as if it had been applied at once: the enqueue may yet be rejected.
    catchUpFirst(host, now);
    // Dependencies first: a preempting activity that cannot run must not cancel anything, and the
    // ones it waits for are spared by its preemption (rule 6 with rule 4).
    Map<String, QueuedActivity> waitingFor = new LinkedHashMap<>();
    String cannotRun = dependencies.check(activity, waitingFor);
    String dedupeKey = activity.getDedupeKey();
    Optional<String> holder =
        dedupeKey == null ? Optional.empty() : stored.dedupeHolder(host.id(), dedupeKey);
    Lane lane = activity.getLane();
    if (preempt && cannotRun == null) {
      Set<String> spared = dependencies.sparedByPreemption(waitingFor.keySet());
      // A holder of the key that the preemption spares keeps it, and a rejected enqueue changes
      // nothing: reject before anything is cancelled. Any other holder is cancelled with the rest.
      if (holder.isPresent() && spared.contains(holder.get())) {
        events.reject(activity, ReasonCode.DEDUPLICATED, "absorbed by " + holder.get(), now);
        stored.save(host);
        return;
      }
      // The same for a full lane: what the preemption spares in it is all it would hold after.
      if (lane != BYPASS && sparedIn(lane, spared) >= settings.maxUpcomingPerLane()) {
        events.reject(activity, ReasonCode.QUEUE_FULL, "lane " + lane + " is full", now);
        stored.save(host);
        return;
      }
      cancelAllUpcoming(host, ReasonCode.PREEMPTED, "preempted by " + id, spared, now);
      // A holder is upcoming (its key goes at its release), and this one was not spared.
      holder = Optional.empty();
    }
    if (lane != BYPASS && host.upcoming(lane) >= settings.maxUpcomingPerLane()) {
      events.reject(activity, ReasonCode.QUEUE_FULL, "lane " + lane + " is full", now);
      stored.save(host);
      return;
    }
    if (holder.isPresent()) {
      events.reject(activity, ReasonCode.DEDUPLICATED, "absorbed by " + holder.get(), now);
      stored.save(host);
      return;
    }

    long seq = host.takeSeq();
    QueuedActivity a = stored.accept(activity, seq, rankOf(activity, preempt, seq));
    stored.joinUpcoming(host, a);
    String accepted = preempt ? "preempt" : null;
    if (cannotRun != null) {
      events.emit(a, QUEUED, ReasonCode.ACCEPTED, accepted, now);
      finish(host, a, CANCELLED, ReasonCode.DEPENDENCY_FAILED, cannotRun, now);
      stored.save(host);
      return;
    }
    waitingFor.values().forEach(dependency -> stored.waitFor(dependency, id));
    a.waitFor(waitingFor.size());
    long staleAt = host.staleTimeInOrder(now + settings.maxUpcomingAge().toMillis());
    a.goesStaleAt(staleAt);
    if (a.notBefore() != null && a.notBefore() > now) {
      a.reschedule(NOT_BEFORE, a.notBefore());
    }
    if (dedupeKey != null) {
      stored.holdDedupeKey(a);
    }
    becomeReadyIfEligible(host, a, now);
    // The event stores the new record, once, complete.
    events.emit(a, QUEUED, ReasonCode.ACCEPTED, accepted, now);
    releaseWhatCan(host, now);
    if (stillUpcoming(host, a)) {
      // Only one that waits: an activity released at once never needs its host's stale check.
      host.waitsUntilStale(staleAt);
      stored.staleChecks().watch(host, staleAt, now);
    }
    stored.save(host);
  }

  /**
   * Whether an activity this step accepted is still upcoming after the step's releases, which work
   * on records of their own: in an ordered lane it is unless it holds the lane; in the bypass lane
   * its stored record (still the step's, in memory) says.
   */
  private boolean stillUpcoming(Host host, QueuedActivity accepted) {
    if (accepted.inOrderedLane()) {
      return !accepted.id().equals(host.holder(accepted.lane()));
    }
    return stored.activity(accepted.id()).map(QueuedActivity::isUpcoming).orElse(false);
  }

  /** Rule 5: cancel one activity, upcoming or released. */
  public void cancel(String hostId, String activityId, long now) {
    Optional<QueuedActivity> found = stored.activity(activityId);
    if (found.isEmpty() || !found.get().hostId().equals(hostId)) {
      return;
    }
    Host host = stored.hostOrNew(hostId);
    boolean caughtUp = catchUpFirst(host, now);
    if (caughtUp) {
      // A selector cancel under way may have ended it already, or released what it freed.
      found = stored.activity(activityId);
    }
    QueuedActivity a = found.get();
    if (a.hasEnded() || (a.isReleased() && runsToItsEnd(a.type()))) {
      String why =
          a.hasEnded() ? "already " + a.state() : "a released " + a.type() + " runs to its end";
      events.note(a, ReasonCode.NOT_CANCELLABLE, why, now);
      if (caughtUp) {
        stored.save(host);
      }
      return;
    }
    finish(host, a, CANCELLED, ReasonCode.USER_CANCEL, null, now);
    releaseWhatCan(host, now);
    stored.save(host);
  }

  /**
   * Brings the host up to date with the selector cancels under way before a command acts on it, and
   * releases what that frees, as if each cancel had been applied at its start; answers whether it
   * applied one. The host is stored by the caller.
   */
  private boolean catchUpFirst(Host host, long now) {
    if (!catchUp.bringUpToDate(host, now)) {
      return false;
    }
    releaseWhatCan(host, now);
    return true;
  }

  /** Rule 5: cancel every upcoming activity of a host; released ones run on. */
  public void cancelUpcoming(String hostId, long now) {
    Optional<Host> found = stored.host(hostId);
    if (found.isEmpty()) {
      return;
    }
    Host host = found.get();
    catchUpFirst(host, now);
    cancelAllUpcoming(host, ReasonCode.USER_CANCEL, "cancel all upcoming", Set.of(), now);
    releaseWhatCan(host, now);
    stored.save(host);
  }

  /**
   * Rule 5 by selector: starts cancelling every upcoming activity of every host of this task that
   * the selector matches. Each task gets its own copy of the command, after every command accepted
   * before it. Answers whether the cancel is new (the same command twice is a no-op); its first
   * step is {@link #stepCancelMatching}, which the caller runs at once, and it goes on host by
   * host, a step per tick, at most {@code cancel-matching-per-step} activities a step ({@link
   * Tick}): a fleet-wide cancel may match more than one transaction can end before its timeout. It
   * still acts as if applied at once: see {@link SelectorCatchUp}.
   */
  public boolean startCancelMatching(Selector selector, String cancellationId, long now) {
    return cancellations.start(cancellationId, selector, now);
  }

  /** The next step of a selector cancel under way, as a step of its own ({@link Tick}). */
  public void stepCancelMatching(String cancellationId, long now, SeparateSteps steps) {
    tick.stepCancel(cancellationId, now, steps);
  }

  /** Rule 3: a paused host releases nothing; what is released runs on. */
  public void pause(String hostId) {
    Host host = stored.hostOrNew(hostId);
    host.setPaused(true);
    stored.save(host);
  }

  /** Rule 3: a resumed host releases what it can at once. */
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
    // What a selector cancel under way matched ends by it, as if applied at its start.
    catchUp.bringUpToDate(host, now);
    cancelAllUpcoming(host, ReasonCode.HOST_PURGED, "host purged", Set.of(), now);
    for (String id : stored.inFlight(host)) {
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
    ResultKind kind = result.getKind();
    if (!a.isReleased() || result.getAttempt() != a.attempt()) {
      if (kind == ResultKind.SUCCEEDED || kind == ResultKind.FAILED) {
        boolean repeat = result.getAttempt() == a.attempt() && current.name().equals(kind.name());
        String detail = kind + " for attempt " + result.getAttempt() + " ignored";
        events.note(a, repeat ? ReasonCode.DUPLICATE : ReasonCode.LATE_RESULT, detail, now);
      }
      return;
    }
    Host host = stored.hostOrNew(a.hostId());
    // Before the result can put a retry back among the upcoming: a selector cancel under way that
    // has not reached this host did not match the attempt running when it started, nor its retry.
    catchUp.bringUpToDate(host, now);
    switch (kind) {
      case DELIVERED -> {
        if (current == RELEASED) {
          events.emit(a, DELIVERED, ReasonCode.DELIVERED, null, now);
        }
      }
      case HEARTBEAT -> extendLease(a, result.getLeaseExtensionMs(), now);
      case SUCCEEDED -> finish(host, a, SUCCEEDED, ReasonCode.SUCCEEDED, null, result, now);
      case FAILED -> {
        if (a.hasAttemptsLeft()) {
          scheduleRetry(host, a, result, now);
        } else {
          finish(host, a, FAILED, ReasonCode.FAILED, null, result, now);
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
   * step of each selector cancel under way. Rule 14: each host's part, each lane's and each
   * cancel's is a step of its own ({@code steps}), and one that throws is put aside ({@link Tick}).
   */
  public void onTime(long now, SeparateSteps steps) {
    tick.run(now, steps);
  }

  /**
   * Rules 3, 7, 8, 9 over time: one host's due deadlines (already out of the index), then the
   * releases they allow, once: an activity that became ready in this tick competes with the rest
   * for its lane's next release. {@code hostId} is theirs, null for deadlines of activities no
   * longer stored.
   *
   * <p>The host is first brought up to date with the selector cancels under way, so that an
   * activity one of them matched ends CANCELLED as if at the cancel's start, not EXPIRED by a
   * deadline that came later. And each of its due checks counts as checked before any is handled: a
   * release while a check was overdue set a second one due at once ({@link HostChecks#watch}), and
   * the first, handled, would otherwise set the check again under that one's key, just taken out of
   * the index, left due after the tick.
   */
  void onDeadlines(String hostId, List<Deadline> due, long now) {
    Map<String, Host> touched = new LinkedHashMap<>();
    // Only where it can matter: a host whose due deadlines are all records' forget deadlines is
    // neither read nor written, whatever is under way.
    boolean checks = due.stream().anyMatch(d -> d.kind().isHostCheck());
    boolean onlyForgets = due.stream().allMatch(d -> d.kind() == FORGET);
    Host owner =
        hostId == null || onlyForgets || (!checks && cancellations.isEmpty())
            ? null
            : stored.host(hostId).orElse(null);
    if (owner != null) {
      touched.put(owner.id(), owner);
      catchUp.bringUpToDate(owner, now);
      for (Deadline d : due) {
        if (d.kind() == HOST_LEASES) {
          stored.leaseChecks().checked(owner, d);
        } else if (d.kind() == HOST_STALE) {
          stored.staleChecks().checked(owner, d);
        }
      }
    }
    for (Deadline d : due) {
      if (d.kind().isHostCheck()) {
        // A host's checks name it: the owner, loaded above (none if the host is gone).
        if (owner != null) {
          if (d.kind() == HOST_LEASES) {
            checkLeases(owner, now);
          } else {
            checkStale(owner, now);
          }
        }
        continue;
      }
      stored.activity(d.activityId()).ifPresent(a -> onDeadline(d, a, touched, now));
    }
    for (Host host : touched.values()) {
      releaseWhatCan(host, now);
      stored.save(host);
    }
  }

  /**
   * Applies one due deadline: a lease lapses (rule 7), a backoff ends or {@code not_before} passes
   * (rules 8 and 3), an upcoming activity goes stale (rule 9), a finished record is forgotten. A
   * host it changes, or that may now release something, joins {@code touched}, loaded once: the
   * tick releases and stores each of them at its end.
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
          expireStale(touched.computeIfAbsent(a.hostId(), stored::hostOrNew), a, now);
        }
      }
      case FORGET -> {
        if (a.hasEnded()) {
          stored.forget(a);
        }
      }
      case HOST_LEASES, HOST_STALE -> throw new IllegalArgumentException("a host's deadline");
    }
  }

  /**
   * Rule 7 for the leases a host's check watches ({@link HostChecks}): ends each released activity
   * whose lease lapsed, and sets the check again at the earliest lease of the rest. A lease with a
   * deadline of its own (from an older version) is left to it.
   */
  private void checkLeases(Host host, long now) {
    Long next = null;
    for (String id : stored.inFlight(host)) {
      QueuedActivity a = stored.activity(id).orElse(null);
      if (a == null || !a.isReleased() || a.leaseIndexed() || a.leaseExpiresAt() == null) {
        continue;
      }
      if (a.leaseExpiresAt() <= now) {
        finish(host, a, EXPIRED, ReasonCode.LEASE_EXPIRED, null, now);
      } else {
        next = next == null ? a.leaseExpiresAt() : Math.min(next, a.leaseExpiresAt());
      }
    }
    if (next != null) {
      stored.leaseChecks().watch(host, next, now);
    }
  }

  /**
   * Rule 9 for the stale times a host's check watches ({@link HostChecks}): ends each upcoming
   * activity that reached the maximum age, and sets the check again at the earliest stale time of
   * the rest. A stale time with a deadline of its own (from an older version) is left to it.
   *
   * <p>Stale times follow acceptance, unless the maximum age was lowered while some waited: then
   * the check reads every upcoming activity of the host, and otherwise only up to the first that is
   * not due, so a host that never checks in, with a long queue going stale one activity after
   * another, costs a read or two per activity, not its whole queue each time.
   */
  private void checkStale(Host host, long now) {
    boolean inOrder = host.staleTimesInOrder();
    Long next = null;
    // Read every activity waiting (the order broken): the latest stale time left, and whether
    // those left are back in order.
    Long latestLeft = null;
    boolean leftInOrder = true;
    // In order, the first page nearly always holds the first activity not due; if not, all of them.
    int page = inOrder ? STALE_CHECK_PAGE : Integer.MAX_VALUE;
    boolean more = true;
    while (more && next == null) {
      List<String> upcoming = stored.upcoming(host.id(), page);
      more = upcoming.size() == page && page != Integer.MAX_VALUE;
      page = Integer.MAX_VALUE;
      for (String id : upcoming) {
        QueuedActivity a = readableActivity(id);
        // Nothing for the check: ended by an expiry earlier in this check (a dependency failed), a
        // retry (no stale time any more), a stale time an older version indexed on its own, or a
        // record that no longer decodes (its release puts it aside; the rest go on).
        if (a == null || !a.isUpcoming() || a.staleIndexed() || a.staleAt() == null) {
          continue;
        }
        if (a.staleAt() <= now) {
          expireStale(host, a, now);
          continue;
        }
        next = next == null ? a.staleAt() : Math.min(next, a.staleAt());
        if (inOrder) {
          break;
        }
        leftInOrder &= latestLeft == null || a.staleAt() >= latestLeft;
        latestLeft = latestLeft == null ? a.staleAt() : Math.max(latestLeft, a.staleAt());
      }
    }
    if (!inOrder || next == null) {
      host.staleTimesLeft(latestLeft, leftInOrder);
    }
    if (next != null) {
      stored.staleChecks().watch(host, next, now);
    }
  }

  /** An activity's record, or null if there is none or it no longer decodes. */
  private QueuedActivity readableActivity(String id) {
    try {
      return stored.activity(id).orElse(null);
    } catch (RuntimeException unreadable) {
      return null;
    }
  }

  /** Rule 9: an upcoming activity reached the maximum age. */
  private void expireStale(Host host, QueuedActivity a, long now) {
    finish(
        host, a, EXPIRED, ReasonCode.STALE, "waited longer than " + settings.maxUpcomingAge(), now);
  }

  /** Rule 10: a lane that waited for the release budget (out of the waits) takes its turn. */
  void onBudget(String hostId, Lane lane, long now) {
    Optional<Host> host = stored.host(hostId);
    if (host.isPresent()) {
      releaseNext(host.get(), lane, now);
      stored.save(host.get());
    }
  }

  // ======================================================================== selector cancels

  /**
   * Rule 5 by selector: one host's part of a selector cancel's step, then the releases it allows;
   * answers how many upcoming activities it saw.
   */
  int cancelMatchingOn(String hostId, PendingCancellations.Pending cancel, long now) {
    Host host = stored.hostOrNew(hostId);
    int seen = catchUp.cancelMatching(host, cancel, now);
    releaseWhatCan(host, now);
    stored.save(host);
    return seen;
  }

  // ======================================================================== releases

  /** Rules 1, 3: what the host's lanes allow now, one per ordered lane, every ready bypass. */
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
    catchUp.bringUpToDate(host, now);
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
      // Rule 8: a retry keeps its place at the head of its lane.
      stored
          .activity(host.holder(lane))
          .filter(holder -> holder.isUpcoming() && holder.retryDueBy(now))
          .ifPresent(holder -> release(host, holder, ReasonCode.RETRY_RELEASED, now));
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

  /** Rule 7: each release comes with a lease. */
  private void release(Host host, QueuedActivity a, ReasonCode reason, long now) {
    byte[] payload = stored.storedPayload(a);
    Channel channel = a.channel();
    Long timeout = a.timeoutMs();
    if (channel == null) {
      // Accepted by a version that kept neither in the record: both are in the payload.
      Activity activity = StoredQueues.decodePayload(payload);
      channel = activity.getChannel();
      timeout = activity.getTimeoutMs();
    }
    stored.leaveUpcoming(host, a);
    a.unschedule(RETRY);
    a.startAttempt();
    // Clamped to rule 15 even though intake refuses other values: a record on lineup.commands may
    // come from another writer, and a lease past what a timestamp holds wedges whoever stores it.
    long lease = timeout != null ? timeout : settings.lease(a.type()).toMillis();
    a.leaseUntil(now + Limits.lease(lease));
    stored.leaseChecks().watch(host, a.leaseExpiresAt(), now);
    if (a.inOrderedLane()) {
      host.hold(a.lane(), a.id());
    }
    stored.joinReleased(a);
    events.emit(a, RELEASED, reason, null, now);
    outbox.release(
        new Release(
            a.hostId(),
            a.type(),
            channel,
            a.attempt(),
            now,
            ReleasedEncoding.encode(payload, a.attempt(), now, a.leaseExpiresAt())));
  }

  // ======================================================================== retries, leases, ends

  /** Rule 8: a failed attempt with attempts left waits out its backoff, holding its lane. */
  private void scheduleRetry(Host host, QueuedActivity a, ActivityResult result, long now) {
    stored.leaveReleased(a);
    a.unschedule(LEASE);
    long backoff = a.backoff();
    a.reschedule(RETRY, now + backoff);
    // Still the holder of its lane: nothing behind it runs before its retry.
    a.setReady(false);
    stored.joinUpcoming(host, a);
    // Concatenated, not formatted: %d would write the digits of the JVM's default locale.
    String detail =
        "attempt "
            + a.attempt()
            + " of "
            + a.maxAttempts()
            + " failed; retry in "
            + backoff
            + " ms";
    events.emit(a, QUEUED, ReasonCode.FAILED, detail, result, now);
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
    // Later than before, so a host's check due by the old lease is due by this one too.
    a.leaseUntil(until);
    stored.save(a);
  }

  private void finish(
      Host host, QueuedActivity a, ActivityState end, ReasonCode reason, String detail, long now) {
    finish(host, a, end, reason, detail, null, now);
  }

  /**
   * Rules 4 and 5: ends an activity in {@code end} ({@code result}, if any, is the report that
   * ended it), frees what it held, and settles its dependents.
   */
  private void finish(
      Host host,
      QueuedActivity a,
      ActivityState end,
      ReasonCode reason,
      String detail,
      ActivityResult result,
      long now) {
    stored.leaveQueue(host, a);
    a.reschedule(FORGET, now + settings.finishedRetention().toMillis());
    List<String> dependents = stored.takeDependents(a);
    events.emit(a, end, reason, detail, result, now);

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

  /** How many of {@code spared} (upcoming activities of one host) are in {@code lane}. */
  private long sparedIn(Lane lane, Set<String> spared) {
    return spared.stream()
        .map(stored::activity)
        .flatMap(Optional::stream)
        .filter(a -> a.lane() == lane)
        .count();
  }

  /** Rules 5, 6 and 13: cancel every upcoming activity of the host but the spared. */
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

  // ======================================================================== eligibility, rank

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
    if (preempt) {
      return Ranking.head(seq);
    }
    long acceptedAt = activity.getAcceptedAt().toEpochMilli();
    return settings.ranking().key(activity.getPriority(), acceptedAt, seq, settings.agingStep());
  }

  /** Rule 5: once released, a lock or a wipe can no longer be cancelled. */
  private static boolean runsToItsEnd(ActivityType type) {
    return !Lifecycle.isCancellableOnceReleased(type);
  }

  /** This task's budget for system releases (rule 10), for its gauge. */
  public ReleaseBudget budget() {
    return budget;
  }
}
