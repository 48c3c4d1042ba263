package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * The work no record brings, split into parts that are each a step of their own (rule 14): at each
 * tick, the next step of every selector cancel under way, each host's due deadlines with the
 * releases they allow, each lane served from the release budget; and a selector cancel's steps, the
 * first one when its command arrives.
 *
 * <p>As one step, one host's broken state (a record that no longer decodes, a bug only its
 * deadlines meet) failed every tick, so no lease lapsed and no retry came for any host of the task.
 * Here a part that throws is discarded, then put aside so that it cannot fail again ({@link
 * PutAside}), and the other parts go on. What each part does is a rule of {@link HostQueues}; this
 * class only splits the work and puts aside what fails. With nothing broken the parts do what one
 * step did: a host's due deadlines are all applied before its releases, and hosts come in the order
 * their first deadline is due.
 */
final class Tick {

  private static final int DEADLINES_PER_TICK = 10_000;
  private static final int BUDGET_WAITS_PER_TICK = 10_000;

  private final HostQueues rules;
  private final StoredQueues stored;
  private final PendingCancellations cancellations;
  private final ReleaseBudget budget;
  private final int cancelMatchingPerStep;

  Tick(
      HostQueues rules,
      StoredQueues stored,
      PendingCancellations cancellations,
      ReleaseBudget budget,
      int cancelMatchingPerStep) {
    this.rules = rules;
    this.stored = stored;
    this.cancellations = cancellations;
    this.budget = budget;
    this.cancelMatchingPerStep = cancelMatchingPerStep;
  }

  /** One tick, part by part, each part a step of {@code steps}. */
  void run(long now, SeparateSteps steps) {
    for (String id : cancellations.ids()) {
      stepCancel(id, now, steps);
    }
    for (Map.Entry<String, List<Deadlines.Due>> host : dueByHost(now, steps).entrySet()) {
      List<Deadlines.Due> due = host.getValue();
      List<Deadline> deadlines = due.stream().map(Deadlines.Due::deadline).toList();
      RuntimeException failed =
          steps.attempt(
              () -> {
                due.forEach(d -> stored.deadlines().delete(d.key()));
                rules.onDeadlines(host.getKey(), deadlines, now);
              });
      if (failed != null) {
        steps.putAside(
            PutAside.dueDeadlines(host.getKey(), deadlines, failed),
            () -> due.forEach(d -> stored.deadlines().delete(d.key())));
      }
    }
    if (budget.available(now)) {
      for (BudgetWaits.HostLane wait : stored.budgetWaits().next(BUDGET_WAITS_PER_TICK)) {
        RuntimeException failed = steps.attempt(() -> serve(wait, now));
        if (failed != null) {
          steps.putAside(
              PutAside.budgetWait(wait.key(), wait.hostId(), wait.lane(), failed),
              () -> stored.budgetWaits().delete(wait));
        }
        if (!budget.available(now)) {
          break;
        }
      }
    }
  }

  /**
   * The due deadlines by host: each host's in the order they are due, the hosts in the order their
   * first one is due. A host's check names its host itself. Deadlines of activities no longer
   * stored come under a null host: they are only removed. One whose key or activity record cannot
   * be read names no host, and is put aside here, alone.
   */
  private Map<String, List<Deadlines.Due>> dueByHost(long now, SeparateSteps steps) {
    Map<String, List<Deadlines.Due>> byHost = new LinkedHashMap<>();
    for (Deadlines.Due due : stored.deadlines().due(now, DEADLINES_PER_TICK)) {
      if (due.deadline() == null) {
        steps.putAside(
            PutAside.unparsedDeadline(due.key()), () -> stored.deadlines().delete(due.key()));
        continue;
      }
      if (due.deadline().kind().isHostCheck()) {
        byHost.computeIfAbsent(due.deadline().hostId(), h -> new ArrayList<>()).add(due);
        continue;
      }
      Optional<QueuedActivity> activity;
      try {
        activity = stored.activity(due.deadline().activityId());
      } catch (RuntimeException unreadable) {
        steps.putAside(
            PutAside.unreadableDeadline(due.deadline(), unreadable),
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

  private void serve(BudgetWaits.HostLane wait, long now) {
    if (wait.hostId() == null) {
      throw new IllegalStateException("a budget-wait key does not parse");
    }
    stored.budgetWaits().delete(wait);
    stored.budgetWaits().served(wait);
    rules.onBudget(wait.hostId(), wait.lane(), now);
  }

  /**
   * The next step of a selector cancel under way. One that throws is put aside: if one host's part
   * threw, the cancel passes over that host (its matching activities stay) and goes on at the next
   * tick; if anything else threw, the cancel is dropped on this task.
   */
  void stepCancel(String cancellationId, long now, SeparateSteps steps) {
    RuntimeException failed =
        steps.attempt(() -> cancellations.find(cancellationId).ifPresent(c -> step(c, now)));
    if (failed instanceof HostFailure host) {
      steps.putAside(
          PutAside.cancelOnHost(cancellationId, host.hostId, host.failure),
          () -> cancellations.markCaughtUp(cancellationId, host.hostId));
    } else if (failed != null) {
      // Reading every cancel under way meets an unreadable one whichever cancel is stepping.
      String broken =
          failed instanceof PendingCancellations.UnreadableCancellation unreadable
              ? unreadable.cancellationId
              : cancellationId;
      steps.putAside(
          PutAside.droppedCancel(broken, cancellations.stored(broken), failed),
          () -> cancellations.drop(broken));
    }
  }

  /** One step of a selector cancel: hosts from its cursor on, until enough were looked at. */
  private void step(PendingCancellations.Pending cancel, long now) {
    int looked = 0;
    String after = cancel.lastHost();
    while (looked < cancelMatchingPerStep) {
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
        looked += ofHost(hostId, () -> rules.cancelMatchingOn(hostId, cancel, now));
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
}
