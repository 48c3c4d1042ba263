package dev.lineup.sequencer.queue;

import java.util.List;

/**
 * Brings a host up to date with the selector cancels under way in its task, so that each acts as if
 * applied at once where its command sits in the partition: nothing accepted before a cancel is
 * released after it, and nothing accepted after it is cancelled by it (ARCHITECTURE.md, "Selector
 * cancel"). Which activities a selector takes is {@link Selectors}'; ending them is the rules',
 * through {@link Cancel}.
 */
final class SelectorCatchUp {

  /**
   * Ends an upcoming activity a selector cancel matched (rule 5); the host is stored by the caller.
   */
  @FunctionalInterface
  interface Cancel {
    void cancel(Host host, QueuedActivity a, String detail, long now);
  }

  private final StoredQueues stored;
  private final PendingCancellations cancellations;
  private final Cancel rules;

  SelectorCatchUp(StoredQueues stored, PendingCancellations cancellations, Cancel rules) {
    this.stored = stored;
    this.cancellations = cancellations;
    this.rules = rules;
  }

  /**
   * Applies every selector cancel under way that has not reached {@code host} yet to it, and marks
   * it, so the cancel skips it when it gets there; the host record is stored by the caller. The
   * rules call it before anything can happen to a host: an enqueue, a result (whose retry must not
   * be taken for an activity upcoming at the cancel's start), a cancel by id, a cancel of all
   * upcoming or a purge (what it matched ends by it, not by them), a tick's deadlines of the host
   * (an activity matched must not go stale first), or a release (results, ticks, resume and cancels
   * all release through {@link HostQueues}' {@code releaseNext}). Answers whether it applied a
   * cancel: one that ended a lane's retry holder freed the lane, and the caller releases what it
   * can before anything else (as the cancel, applied at once, would have left it).
   */
  boolean bringUpToDate(Host host, long now) {
    if (cancellations.isEmpty()) {
      return false;
    }
    boolean applied = false;
    for (PendingCancellations.Pending cancel : List.copyOf(cancellations.all())) {
      if (!cancel.passed(host.id()) && !cancellations.caughtUp(cancel, host.id())) {
        cancelMatching(host, cancel, now);
        cancellations.markCaughtUp(cancel.id, host.id());
        applied = true;
      }
    }
    return applied;
  }

  /** Cancels the host's upcoming activities that the selector matches; answers how many it saw. */
  int cancelMatching(Host host, PendingCancellations.Pending cancel, long now) {
    List<String> upcoming = stored.upcoming(host.id(), Integer.MAX_VALUE);
    String detail = "cancellation " + cancel.id;
    for (String id : upcoming) {
      stored
          .activity(id)
          .filter(QueuedActivity::isUpcoming)
          .filter(a -> Selectors.matches(cancel.selector, a.type(), () -> payloadOf(a)))
          .ifPresent(a -> rules.cancel(host, a, detail, now));
    }
    return upcoming.size();
  }

  private Object payloadOf(QueuedActivity a) {
    return stored.payload(a).getPayload();
  }
}
