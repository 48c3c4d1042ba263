package dev.lineup.sequencer.queue;

import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.sequencer.state.ActivityRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A read-only look at one host's live queue, for debugging and the ops page. */
public final class QueueView {

  /** One activity as the queue sees it. */
  public record Item(
      String activityId,
      String type,
      String lane,
      String state,
      int priority,
      int attempt,
      boolean ready,
      int pendingDependencies,
      Long notBefore,
      Long leaseExpiresAt,
      Long retryAt) {}

  /**
   * @param inFlight released activities of every lane, and ordered lanes' holders waiting to retry
   * @param upcoming ready activities in release order per lane, then the ones not yet ready
   */
  public record HostQueue(
      String hostId, boolean paused, List<Item> inFlight, List<Item> upcoming) {}

  private final StoredQueues stored;

  public QueueView(SortedStore store) {
    this.stored = new StoredQueues(store);
  }

  public Optional<HostQueue> host(String hostId, int limit) {
    Optional<Host> found = stored.host(hostId);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Host host = found.get();
    // Released in any lane, plus lane holders waiting to retry; an index entry an older version
    // left for an activity since ended is not in flight (StoredLayout).
    List<Item> inFlight = new ArrayList<>();
    for (String id : stored.inFlight(host)) {
      stored
          .activity(id)
          .filter(
              a -> a.isReleased() || (a.inOrderedLane() && a.id().equals(host.holder(a.lane()))))
          .map(QueueView::item)
          .ifPresent(inFlight::add);
    }
    List<Item> upcoming = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (Lane lane : Lane.values()) {
      List<QueuedActivity> ready = new ArrayList<>();
      for (InitiatorKind initiator : StoredQueues.INITIATORS) {
        stored
            .ready(host, lane, initiator, limit)
            .forEach(id -> stored.activity(id).ifPresent(ready::add));
      }
      ready.sort(Comparator.comparing(QueuedActivity::rank, Arrays::compareUnsigned));
      ready.forEach(
          a -> {
            upcoming.add(item(a));
            listed.add(a.id());
          });
    }
    for (String id : stored.upcoming(hostId, limit)) {
      if (!listed.contains(id) && inFlight.stream().noneMatch(i -> i.activityId().equals(id))) {
        stored.activity(id).map(QueueView::item).ifPresent(upcoming::add);
      }
    }
    return Optional.of(
        new HostQueue(
            hostId,
            host.isPaused(),
            inFlight,
            upcoming.subList(0, Math.min(limit, upcoming.size()))));
  }

  private static Item item(QueuedActivity a) {
    ActivityRecord r = a.record();
    return new Item(
        r.getActivityId(),
        r.getType(),
        r.getLane(),
        r.getState(),
        r.getPriority(),
        r.getAttempt(),
        r.getReady(),
        r.getPendingDependencies(),
        r.getNotBefore(),
        r.getLeaseExpiresAt(),
        r.getRetryAt());
  }
}
