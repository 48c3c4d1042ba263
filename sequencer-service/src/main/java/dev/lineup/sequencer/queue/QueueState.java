package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.schemas.AvroSerde;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
import dev.lineup.sequencer.state.LaneSlot;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Typed reads and writes over the sections of a task's queue store; no rules live here. */
final class QueueState {

  private static final AvroSerde<Activity> PAYLOADS = AvroSerde.of(Activity.class);

  private final SortedStore hosts;
  private final SortedStore activities;
  private final SortedStore payloads;
  final ReadyIndex ready;
  final UpcomingIndex upcoming;
  final GroupedKeys released;
  final Deadlines deadlines;
  final GroupedKeys dependents;
  final GroupedKeys dedupe;
  final BudgetWaits budgetWaits;

  QueueState(SortedStore store) {
    this.hosts = Section.HOSTS.of(store);
    this.activities = Section.ACTIVITIES.of(store);
    this.payloads = Section.PAYLOADS.of(store);
    this.ready = new ReadyIndex(Section.READY.of(store));
    this.upcoming = new UpcomingIndex(Section.UPCOMING.of(store));
    this.released = new GroupedKeys(Section.RELEASED.of(store));
    this.deadlines = new Deadlines(Section.DEADLINES.of(store));
    this.dependents = new GroupedKeys(Section.DEPENDENTS.of(store));
    this.dedupe = new GroupedKeys(Section.DEDUPE.of(store));
    this.budgetWaits = new BudgetWaits(Section.BUDGET_WAITS.of(store));
  }

  /** Forgets the seek hints: after a step was rolled back they may be wrong. */
  void forgetHints() {
    ready.forgetFloors();
    deadlines.forgetFloor();
    budgetWaits.forgetCursor();
  }

  // ------------------------------------------------------------------ hosts

  Optional<HostRecord> host(String hostId) {
    byte[] bytes = hosts.get(KeyParts.id(hostId));
    if (bytes == null) {
      return Optional.empty();
    }
    HostRecord host = StateCodec.host(bytes);
    if (host.getReadyCounts() == null) {
      List<Integer> counts = new ArrayList<>(List.of(0, 0, 0, 0, 0, 0));
      ready.forEachEntry(
          hostId,
          (lane, initiator) -> {
            int index = countIndex(lane, initiator);
            counts.set(index, counts.get(index) + 1);
          });
      host.setReadyCounts(counts);
    }
    return Optional.of(host);
  }

  HostRecord hostOrNew(String hostId) {
    return host(hostId).orElseGet(() -> Records.newHost(hostId));
  }

  void putHost(HostRecord host) {
    hosts.put(KeyParts.id(host.getHostId()), StateCodec.encode(host));
  }

  /** Forgets a host: its record and the bounds of its ready classes. */
  void deleteHost(HostRecord host) {
    for (Lane lane : Lane.values()) {
      for (InitiatorKind initiator : List.of(InitiatorKind.USER, InitiatorKind.SYSTEM)) {
        if ((host.getReadyBounds() & (1 << countIndex(lane, initiator))) != 0) {
          ready.removeBound(host.getHostId(), lane, initiator);
        }
      }
    }
    hosts.delete(KeyParts.id(host.getHostId()));
  }

  static LaneSlot slot(HostRecord host, Lane lane) {
    return lane == Lane.SETUP ? host.getSetupLane() : host.getDefaultLane();
  }

  // ------------------------------------------------------------------ activities

  Optional<ActivityRecord> activity(String activityId) {
    byte[] bytes = activities.get(KeyParts.id(activityId));
    return bytes == null ? Optional.empty() : Optional.of(StateCodec.activity(bytes));
  }

  void putActivity(ActivityRecord record) {
    activities.put(KeyParts.id(record.getActivityId()), StateCodec.encode(record));
  }

  void deleteActivity(String activityId) {
    activities.delete(KeyParts.id(activityId));
  }

  Activity payload(String activityId) {
    byte[] bytes = payloads.get(KeyParts.id(activityId));
    if (bytes == null) {
      throw new IllegalStateException("no payload stored for upcoming activity " + activityId);
    }
    return PAYLOADS.deserialize("payloads", bytes);
  }

  void putPayload(Activity activity) {
    payloads.put(KeyParts.id(activity.getActivityId()), PAYLOADS.serialize("p", activity));
  }

  void deletePayload(String activityId) {
    payloads.delete(KeyParts.id(activityId));
  }

  // ------------------------------------------------------------------ ready index

  /** Adds an activity to its host's ready index; the host record must be stored afterwards. */
  void addReady(HostRecord host, ActivityRecord a) {
    Lane lane = Lane.valueOf(a.getLane());
    InitiatorKind initiator = initiatorOf(a);
    ready.add(a.getHostId(), lane, initiator, toArray(a.getRank()), a.getActivityId());
    adjustReadyCount(host, lane, initiator, +1);
    int bound = 1 << countIndex(lane, initiator);
    if ((host.getReadyBounds() & bound) == 0) {
      ready.addBound(a.getHostId(), lane, initiator);
      host.setReadyBounds(host.getReadyBounds() | bound);
    }
  }

  /** Takes an activity out of the ready index; the host record must be stored afterwards. */
  void removeReady(HostRecord host, ActivityRecord a) {
    Lane lane = Lane.valueOf(a.getLane());
    InitiatorKind initiator = initiatorOf(a);
    ready.remove(a.getHostId(), lane, initiator, toArray(a.getRank()), a.getActivityId());
    adjustReadyCount(host, lane, initiator, -1);
  }

  /** How many ready entries a host has in one class of one lane. */
  static int readyCount(HostRecord host, Lane lane, InitiatorKind initiator) {
    return host.getReadyCounts().get(countIndex(lane, initiator));
  }

  private static void adjustReadyCount(
      HostRecord host, Lane lane, InitiatorKind initiator, int delta) {
    int index = countIndex(lane, initiator);
    List<Integer> counts = host.getReadyCounts();
    counts.set(index, Math.max(0, counts.get(index) + delta));
  }

  private static int countIndex(Lane lane, InitiatorKind initiator) {
    return lane.ordinal() * 2 + (initiator == InitiatorKind.SYSTEM ? 1 : 0);
  }

  /**
   * The first ready activity of one initiator class in a lane, if any; the host record's count says
   * whether to look at all.
   */
  Optional<ReadyIndex.Head> firstReady(HostRecord host, Lane lane, InitiatorKind initiator) {
    if (readyCount(host, lane, initiator) == 0) {
      return Optional.empty();
    }
    Optional<ReadyIndex.Head> head = ready.first(host.getHostId(), lane, initiator);
    if (head.isEmpty()) {
      // The count and the index disagree, which no rule allows; the index is the truth.
      host.getReadyCounts().set(countIndex(lane, initiator), 0);
    }
    return head;
  }

  /** Ready activity ids of one class in a lane, in release order. */
  List<String> readyIds(HostRecord host, Lane lane, InitiatorKind initiator, int limit) {
    if (readyCount(host, lane, initiator) == 0) {
      return List.of();
    }
    return ready.ids(host.getHostId(), lane, initiator, limit);
  }

  private static InitiatorKind initiatorOf(ActivityRecord a) {
    return a.getSystemInitiated() ? InitiatorKind.SYSTEM : InitiatorKind.USER;
  }

  // ------------------------------------------------------------------ upcoming index

  void addUpcoming(ActivityRecord a) {
    upcoming.add(a.getHostId(), a.getSeq(), a.getActivityId());
  }

  void removeUpcoming(ActivityRecord a) {
    upcoming.remove(a.getHostId(), a.getSeq(), a.getActivityId());
  }

  /** Upcoming activity ids of a host in acceptance order. */
  List<String> upcomingIds(String hostId, int limit) {
    return upcoming.ids(hostId, limit);
  }

  // ------------------------------------------------------------------ released index

  void addReleased(ActivityRecord a) {
    released.add(a.getHostId(), a.getActivityId());
  }

  void removeReleased(ActivityRecord a) {
    released.remove(a.getHostId(), a.getActivityId());
  }

  /** Released activity ids of a host, in every lane. */
  List<String> releasedIds(String hostId) {
    return released.members(hostId);
  }

  // ------------------------------------------------------------------ deadlines

  void addDeadline(long at, Deadline.Kind kind, String activityId) {
    deadlines.add(new Deadline(at, kind, activityId));
  }

  void removeDeadline(Long at, Deadline.Kind kind, String activityId) {
    if (at != null) {
      deadlines.remove(new Deadline(at, kind, activityId));
    }
  }

  // ------------------------------------------------------------------ dependencies

  void addDependent(String dependencyId, String dependentId) {
    dependents.add(dependencyId, dependentId);
  }

  /** Removes and returns the activities waiting for {@code dependencyId}. */
  List<String> takeDependents(String dependencyId) {
    return dependents.take(dependencyId);
  }

  // ------------------------------------------------------------------ dedupe

  Optional<String> dedupeHolder(String hostId, String dedupeKey) {
    return Optional.ofNullable(dedupe.get(hostId, dedupeKey));
  }

  void putDedupe(String hostId, String dedupeKey, String activityId) {
    dedupe.put(hostId, dedupeKey, activityId);
  }

  void deleteDedupe(String hostId, String dedupeKey) {
    dedupe.remove(hostId, dedupeKey);
  }

  // ------------------------------------------------------------------ bytes

  static byte[] toArray(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
