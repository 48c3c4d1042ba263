package dev.lineup.sequencer.queue;

import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
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
   * @param inFlight the holders of the ordered lanes
   * @param upcoming ready activities in release order per lane, then the ones not yet ready
   */
  public record HostQueue(
      String hostId, boolean paused, List<Item> inFlight, List<Item> upcoming) {}

  private final QueueState state;

  public QueueView(SortedStore store) {
    this.state = new QueueState(store);
  }

  public Optional<HostQueue> host(String hostId, int limit) {
    Optional<HostRecord> found = state.host(hostId);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    HostRecord host = found.get();
    // Released in any lane, plus lane holders waiting to retry.
    Set<String> inFlightIds = new java.util.LinkedHashSet<>(state.releasedIds(hostId));
    for (Lane lane : List.of(Lane.DEFAULT, Lane.SETUP)) {
      String holder = QueueState.slot(host, lane).getHolder();
      if (holder != null) {
        inFlightIds.add(holder);
      }
    }
    List<Item> inFlight = new ArrayList<>();
    inFlightIds.forEach(id -> state.activity(id).map(QueueView::item).ifPresent(inFlight::add));
    List<Item> upcoming = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (Lane lane : Lane.values()) {
      List<ActivityRecord> ready = new ArrayList<>();
      for (InitiatorKind initiator : List.of(InitiatorKind.USER, InitiatorKind.SYSTEM)) {
        state
            .readyIds(host, lane, initiator, limit)
            .forEach(id -> state.activity(id).ifPresent(ready::add));
      }
      ready.sort(
          Comparator.comparing(a -> QueueState.toArray(a.getRank()), Arrays::compareUnsigned));
      ready.forEach(
          a -> {
            upcoming.add(item(a));
            listed.add(a.getActivityId());
          });
    }
    for (String id : state.upcomingIds(hostId, limit)) {
      if (!listed.contains(id) && inFlight.stream().noneMatch(i -> i.activityId().equals(id))) {
        state.activity(id).map(QueueView::item).ifPresent(upcoming::add);
      }
    }
    return Optional.of(
        new HostQueue(
            hostId,
            host.getPaused(),
            inFlight,
            upcoming.subList(0, Math.min(limit, upcoming.size()))));
  }

  private static Item item(ActivityRecord a) {
    return new Item(
        a.getActivityId(),
        a.getType(),
        a.getLane(),
        a.getState(),
        a.getPriority(),
        a.getAttempt(),
        a.getReady(),
        a.getPendingDependencies(),
        a.getNotBefore(),
        a.getLeaseExpiresAt(),
        a.getRetryAt());
  }
}
