package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.Lane;
import dev.lineup.schemas.AvroSerde;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
import dev.lineup.sequencer.state.LaneSlot;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Typed reads and writes over {@link QueueStores}; no rules live here. */
final class QueueState {

  private static final byte[] PRESENT = new byte[0];
  private static final AvroSerde<Activity> PAYLOADS = AvroSerde.of(Activity.class);

  /** Past this many remembered floors the memory starts over; a floor only ever saves work. */
  private static final int REMEMBERED_FLOORS = 100_000;

  private final QueueStores stores;

  /** Past the last deadline key any deadline can have (nine 0xFF bytes). */
  private static final byte[] AFTER_EVERY_DEADLINE = {-1, -1, -1, -1, -1, -1, -1, -1, -1};

  /*
   * Floors. On RocksDB a deleted key stays in the store as a tombstone until compaction, and a seek
   * steps over every tombstone between where it starts and the first live key. The queue deletes
   * all the time (every release, every end), so a seek that starts where deleted keys pile up, or
   * that finds nothing, pays for them all. Measured on the bench after 70,000 activities: half of
   * the sequencer's time was seeks walking tombstones. The floors keep seeks where live keys are.
   *
   * Both live as long as this object, which is built afresh whenever the task (re)initialises, so
   * they never outlive a rollback of the store. A floor only ever saves work: a missing one means
   * "start from the beginning".
   */

  /**
   * Per ready class (its key prefix), a key no live entry of the class sorts below: the head last
   * found, lowered when something ranks ahead of it. Whether a class has entries at all is the host
   * record's ready count, so a class with none is never sought.
   */
  private final Map<ByteBuffer, byte[]> readyFloors = new HashMap<>();

  /**
   * A key no live deadline sorts below: lowered by every deadline added, raised by each look at
   * what is due to the first deadline not yet due. While it lies in the future a tick needs no seek
   * at all.
   */
  private byte[] deadlineFloor;

  /** The host lane the release budget last served; in memory only, like the floors. */
  private byte[] budgetCursor;

  /** Past every budget-wait key (host keys start with a length below 0x8000). */
  private static final byte[] AFTER_EVERY_WAIT = {(byte) 0xFF};

  QueueState(QueueStores stores) {
    this.stores = stores;
  }

  /** Forgets the floors and the budget cursor: after a step was rolled back they may be wrong. */
  void forgetHints() {
    readyFloors.clear();
    deadlineFloor = null;
    budgetCursor = null;
  }

  // ------------------------------------------------------------------ hosts

  Optional<HostRecord> host(String hostId) {
    byte[] bytes = stores.hosts().get(StoreKeys.id(hostId));
    if (bytes == null) {
      return Optional.empty();
    }
    HostRecord host = StateCodec.host(bytes);
    if (host.getReadyCounts() == null) {
      host.setReadyCounts(countReadyInIndex(hostId));
    }
    return Optional.of(host);
  }

  HostRecord hostOrNew(String hostId) {
    return host(hostId).orElseGet(() -> Records.newHost(hostId));
  }

  void putHost(HostRecord host) {
    stores.hosts().put(StoreKeys.id(host.getHostId()), StateCodec.encode(host));
  }

  /** Forgets a host: its record and the bounds of its ready classes. */
  void deleteHost(HostRecord host) {
    for (Lane lane : Lane.values()) {
      for (byte cls : new byte[] {StoreKeys.USER, StoreKeys.SYSTEM}) {
        if ((host.getReadyBounds() & (1 << countIndex(lane, cls))) != 0) {
          stores.ready().delete(StoreKeys.readyPrefix(host.getHostId(), lane, cls));
        }
      }
    }
    stores.hosts().delete(StoreKeys.id(host.getHostId()));
  }

  static LaneSlot slot(HostRecord host, Lane lane) {
    return lane == Lane.SETUP ? host.getSetupLane() : host.getDefaultLane();
  }

  // ------------------------------------------------------------------ activities

  Optional<ActivityRecord> activity(String activityId) {
    byte[] bytes = stores.activities().get(StoreKeys.id(activityId));
    return bytes == null ? Optional.empty() : Optional.of(StateCodec.activity(bytes));
  }

  void putActivity(ActivityRecord record) {
    stores.activities().put(StoreKeys.id(record.getActivityId()), StateCodec.encode(record));
  }

  void deleteActivity(String activityId) {
    stores.activities().delete(StoreKeys.id(activityId));
  }

  Activity payload(String activityId) {
    byte[] bytes = stores.payloads().get(StoreKeys.id(activityId));
    if (bytes == null) {
      throw new IllegalStateException("no payload stored for upcoming activity " + activityId);
    }
    return PAYLOADS.deserialize("payloads", bytes);
  }

  void putPayload(Activity activity) {
    stores
        .payloads()
        .put(StoreKeys.id(activity.getActivityId()), PAYLOADS.serialize("p", activity));
  }

  void deletePayload(String activityId) {
    stores.payloads().delete(StoreKeys.id(activityId));
  }

  // ------------------------------------------------------------------ ready index

  /** Adds an activity to its host's ready index; the host record must be stored afterwards. */
  void addReady(HostRecord host, ActivityRecord a) {
    byte[] key = readyKey(a);
    stores.ready().put(key, PRESENT);
    adjustReadyCount(host, a, +1);
    byte[] prefix = readyPrefix(a);
    int bound = 1 << countIndex(Lane.valueOf(a.getLane()), initiatorClass(a));
    if ((host.getReadyBounds() & bound) == 0) {
      stores.ready().put(prefix, PRESENT);
      host.setReadyBounds(host.getReadyBounds() | bound);
    }
    ByteBuffer floorKey = ByteBuffer.wrap(prefix);
    byte[] floor = readyFloors.get(floorKey);
    if (floor != null && Arrays.compareUnsigned(key, floor) < 0) {
      readyFloors.put(floorKey, key);
    }
  }

  /** Takes an activity out of the ready index; the host record must be stored afterwards. */
  void removeReady(HostRecord host, ActivityRecord a) {
    stores.ready().delete(readyKey(a));
    adjustReadyCount(host, a, -1);
  }

  /** How many ready entries a host has in one class of one lane. */
  static int readyCount(HostRecord host, Lane lane, byte initiatorClass) {
    return host.getReadyCounts().get(countIndex(lane, initiatorClass));
  }

  private static void adjustReadyCount(HostRecord host, ActivityRecord a, int delta) {
    int index = countIndex(Lane.valueOf(a.getLane()), initiatorClass(a));
    List<Integer> counts = host.getReadyCounts();
    counts.set(index, Math.max(0, counts.get(index) + delta));
  }

  private static int countIndex(Lane lane, byte initiatorClass) {
    return lane.ordinal() * 2 + initiatorClass;
  }

  /** The ready counts of a host whose record predates them, counted from the index once. */
  private List<Integer> countReadyInIndex(String hostId) {
    byte[] prefix = StoreKeys.host(hostId);
    List<Integer> counts = new ArrayList<>(List.of(0, 0, 0, 0, 0, 0));
    for (SortedStore.Entry e : stores.ready().scan(prefix, Integer.MAX_VALUE)) {
      if (e.key().length == prefix.length + 2) {
        continue; // a class's bound
      }
      Lane lane = Lane.values()[e.key()[prefix.length]];
      int index = countIndex(lane, e.key()[prefix.length + 1]);
      counts.set(index, counts.get(index) + 1);
    }
    return counts;
  }

  /**
   * The first ready activity of one initiator class in a lane, if any. The scan starts at the
   * class's floor, not at its prefix: every release deletes the head of the index, and on RocksDB a
   * scan from the prefix steps over all those deletions again (at depth 10,000 the seek was four
   * fifths of the cost of an event).
   */
  Optional<ReadyHead> firstReady(HostRecord host, Lane lane, byte initiatorClass) {
    if (readyCount(host, lane, initiatorClass) == 0) {
      return Optional.empty();
    }
    byte[] prefix = StoreKeys.readyPrefix(host.getHostId(), lane, initiatorClass);
    ByteBuffer floorKey = ByteBuffer.wrap(prefix);
    byte[] floor = readyFloors.get(floorKey);
    List<SortedStore.Entry> first =
        stores
            .ready()
            .range(floor == null ? firstEntry(prefix) : floor, StoreKeys.after(prefix), 1);
    if (first.isEmpty()) {
      // The count and the index disagree, which no rule allows; the index is the truth.
      host.getReadyCounts().set(countIndex(lane, initiatorClass), 0);
      return Optional.empty();
    }
    byte[] key = first.get(0).key();
    rememberFloor(floorKey, key);
    byte[] rank =
        java.util.Arrays.copyOfRange(key, prefix.length, prefix.length + Ranking.KEY_LENGTH);
    return Optional.of(
        new ReadyHead(
            StoreKeys.readyActivityId(key, prefix.length, Ranking.KEY_LENGTH),
            ByteBuffer.wrap(rank)));
  }

  private void rememberFloor(ByteBuffer prefix, byte[] floor) {
    if (readyFloors.size() >= REMEMBERED_FLOORS) {
      readyFloors.clear();
    }
    readyFloors.put(prefix, floor);
  }

  /** The head of one ready class: its activity and rank, to compare across classes. */
  record ReadyHead(String activityId, ByteBuffer rank) {}

  /** Ready activity ids of one class in a lane, in release order. */
  List<String> readyIds(HostRecord host, Lane lane, byte initiatorClass, int limit) {
    if (readyCount(host, lane, initiatorClass) == 0) {
      return List.of();
    }
    byte[] prefix = StoreKeys.readyPrefix(host.getHostId(), lane, initiatorClass);
    List<String> ids = new ArrayList<>();
    for (SortedStore.Entry e :
        stores.ready().range(firstEntry(prefix), StoreKeys.after(prefix), limit)) {
      ids.add(StoreKeys.readyActivityId(e.key(), prefix.length, Ranking.KEY_LENGTH));
    }
    return ids;
  }

  /**
   * Where a class's entries start: just after its bound, the bare class prefix. The bound is a live
   * key that stays while the host does, so a read that runs past the last entry of the class before
   * it stops there: RocksDB iterators step to the next live key after the last one a read returns,
   * over every deleted key on the way, and without the bounds that walk crossed the deleted entries
   * of every finished host after it (measured: half of the stream thread's time at 5,000 hosts).
   */
  private static byte[] firstEntry(byte[] classPrefix) {
    return StoreKeys.concat(classPrefix, new byte[] {0});
  }

  private static byte initiatorClass(ActivityRecord a) {
    return a.getSystemInitiated() ? StoreKeys.SYSTEM : StoreKeys.USER;
  }

  private static byte[] readyPrefix(ActivityRecord a) {
    return StoreKeys.readyPrefix(a.getHostId(), Lane.valueOf(a.getLane()), initiatorClass(a));
  }

  private static byte[] readyKey(ActivityRecord a) {
    return StoreKeys.ready(
        a.getHostId(),
        Lane.valueOf(a.getLane()),
        initiatorClass(a),
        toArray(a.getRank()),
        a.getActivityId());
  }

  // ------------------------------------------------------------------ upcoming index

  void addUpcoming(ActivityRecord a) {
    stores
        .upcoming()
        .put(StoreKeys.upcoming(a.getHostId(), a.getSeq(), a.getActivityId()), PRESENT);
  }

  void removeUpcoming(ActivityRecord a) {
    stores.upcoming().delete(StoreKeys.upcoming(a.getHostId(), a.getSeq(), a.getActivityId()));
  }

  /** Upcoming activity ids of a host in acceptance order. */
  List<String> upcomingIds(String hostId, int limit) {
    byte[] prefix = StoreKeys.host(hostId);
    List<String> ids = new ArrayList<>();
    for (SortedStore.Entry e : stores.upcoming().scan(prefix, limit)) {
      ids.add(
          StoreKeys.id(java.util.Arrays.copyOfRange(e.key(), prefix.length + 8, e.key().length)));
    }
    return ids;
  }

  /** Past every upcoming key (they start with a host id's two-byte length, at most 0x03FF). */
  private static final byte[] AFTER_EVERY_UPCOMING = {-1};

  /** The host of the first upcoming activity whose key is {@code from} or after, if any. */
  Optional<String> firstUpcomingHost(byte[] from) {
    List<SortedStore.Entry> first = stores.upcoming().range(from, AFTER_EVERY_UPCOMING, 1);
    if (first.isEmpty()) {
      return Optional.empty();
    }
    ByteBuffer b = ByteBuffer.wrap(first.get(0).key());
    byte[] host = new byte[b.getShort()];
    b.get(host);
    return Optional.of(StoreKeys.id(host));
  }

  // ------------------------------------------------------------------ released index

  void addReleased(ActivityRecord a) {
    stores
        .released()
        .put(
            StoreKeys.concat(StoreKeys.host(a.getHostId()), StoreKeys.id(a.getActivityId())),
            PRESENT);
  }

  void removeReleased(ActivityRecord a) {
    stores
        .released()
        .delete(StoreKeys.concat(StoreKeys.host(a.getHostId()), StoreKeys.id(a.getActivityId())));
  }

  /** Released activity ids of a host, in every lane. */
  List<String> releasedIds(String hostId) {
    byte[] prefix = StoreKeys.host(hostId);
    List<String> ids = new ArrayList<>();
    for (SortedStore.Entry e : stores.released().scan(prefix, Integer.MAX_VALUE)) {
      ids.add(StoreKeys.id(java.util.Arrays.copyOfRange(e.key(), prefix.length, e.key().length)));
    }
    return ids;
  }

  // ------------------------------------------------------------------ deadlines

  void addDeadline(long at, Deadline.Kind kind, String activityId) {
    byte[] key = StoreKeys.deadline(at, kind, activityId);
    stores.deadlines().put(key, PRESENT);
    if (deadlineFloor != null && Arrays.compareUnsigned(key, deadlineFloor) < 0) {
      deadlineFloor = key;
    }
  }

  void removeDeadline(Long at, Deadline.Kind kind, String activityId) {
    if (at != null) {
      stores.deadlines().delete(StoreKeys.deadline(at, kind, activityId));
    }
  }

  /**
   * Up to {@code limit} deadlines due at or before {@code now}, oldest first, left in the store:
   * each is removed by whatever handles it ({@link #deleteDeadline}). The floor then moves up to
   * the first deadline not due, so the next ticks seek nothing until it is; a step that fails makes
   * the floors be forgotten, so a deadline left behind is found again.
   */
  List<Due> dueDeadlines(long now, int limit) {
    byte[] to = StoreKeys.ordered(now + 1);
    if (deadlineFloor != null && Arrays.compareUnsigned(deadlineFloor, to) >= 0) {
      return List.of();
    }
    byte[] from = deadlineFloor == null ? StoreKeys.ordered(Long.MIN_VALUE) : deadlineFloor;
    List<Due> due = new ArrayList<>();
    byte[] last = null;
    for (SortedStore.Entry e : stores.deadlines().range(from, to, limit)) {
      due.add(new Due(e.key(), StoreKeys.isDeadline(e.key()) ? StoreKeys.deadline(e.key()) : null));
      last = e.key();
    }
    if (due.size() == limit) {
      deadlineFloor = last; // more may be due: the rest sort after the last one read
    } else {
      List<SortedStore.Entry> next = stores.deadlines().range(to, AFTER_EVERY_DEADLINE, 1);
      deadlineFloor = next.isEmpty() ? to : next.get(0).key();
    }
    return due;
  }

  /**
   * A due deadline as stored: its key, and what the key says, or null for a key that does not parse
   * as a deadline.
   */
  record Due(byte[] key, Deadline deadline) {}

  void deleteDeadline(byte[] key) {
    stores.deadlines().delete(key);
  }

  // ------------------------------------------------------------------ dependencies

  void addDependent(String dependencyId, String dependentId) {
    stores.dependents().put(StoreKeys.dependent(dependencyId, dependentId), PRESENT);
  }

  /** Removes and returns the activities waiting for {@code dependencyId}. */
  List<String> takeDependents(String dependencyId) {
    byte[] prefix = StoreKeys.host(dependencyId);
    List<String> ids = new ArrayList<>();
    for (SortedStore.Entry e : stores.dependents().scan(prefix, Integer.MAX_VALUE)) {
      ids.add(StoreKeys.id(java.util.Arrays.copyOfRange(e.key(), prefix.length, e.key().length)));
      stores.dependents().delete(e.key());
    }
    return ids;
  }

  // ------------------------------------------------------------------ dedupe

  Optional<String> dedupeHolder(String hostId, String dedupeKey) {
    byte[] bytes = stores.dedupe().get(StoreKeys.dedupe(hostId, dedupeKey));
    return bytes == null ? Optional.empty() : Optional.of(StoreKeys.id(bytes));
  }

  void putDedupe(String hostId, String dedupeKey, String activityId) {
    stores.dedupe().put(StoreKeys.dedupe(hostId, dedupeKey), StoreKeys.id(activityId));
  }

  void deleteDedupe(String hostId, String dedupeKey) {
    stores.dedupe().delete(StoreKeys.dedupe(hostId, dedupeKey));
  }

  // ------------------------------------------------------------------ budget waits

  void addBudgetWait(String hostId, Lane lane) {
    stores.budgetWaits().put(budgetWaitKey(hostId, lane), PRESENT);
  }

  void removeBudgetWait(String hostId, Lane lane) {
    stores.budgetWaits().delete(budgetWaitKey(hostId, lane));
  }

  /**
   * Up to {@code limit} host lanes waiting for the release budget, taking turns: the read starts
   * after the last one {@link #servedBudgetWait served} and wraps around, so no host's id sorting
   * first lets it be served ahead of the rest at every refill.
   */
  List<HostLane> budgetWaits(int limit) {
    List<SortedStore.Entry> entries = new ArrayList<>();
    if (budgetCursor != null) {
      entries.addAll(
          stores
              .budgetWaits()
              .range(StoreKeys.concat(budgetCursor, new byte[] {0}), AFTER_EVERY_WAIT, limit));
    }
    if (entries.size() < limit) {
      for (SortedStore.Entry e : stores.budgetWaits().scan(new byte[0], limit - entries.size())) {
        if (budgetCursor != null && Arrays.compareUnsigned(e.key(), budgetCursor) > 0) {
          break; // wrapped round to where the first read began
        }
        entries.add(e);
      }
    }
    List<HostLane> waits = new ArrayList<>(entries.size());
    for (SortedStore.Entry e : entries) {
      waits.add(HostLane.of(e.key()));
    }
    return waits;
  }

  /** The next {@link #budgetWaits} read starts after this host lane. */
  void servedBudgetWait(HostLane served) {
    budgetCursor = served.key();
  }

  void deleteBudgetWait(HostLane wait) {
    stores.budgetWaits().delete(wait.key());
  }

  /**
   * A host lane waiting for the release budget, with its key; {@code hostId} and {@code lane} are
   * null if the key does not parse.
   */
  record HostLane(byte[] key, String hostId, Lane lane) {

    static HostLane of(byte[] key) {
      if (key.length >= 3) {
        int length = ByteBuffer.wrap(key).getShort() & 0xFFFF;
        int lane = key[key.length - 1];
        if (key.length == length + 3 && lane >= 0 && lane < Lane.values().length) {
          return new HostLane(
              key, StoreKeys.id(Arrays.copyOfRange(key, 2, 2 + length)), Lane.values()[lane]);
        }
      }
      return new HostLane(key, null, null);
    }
  }

  private static byte[] budgetWaitKey(String hostId, Lane lane) {
    return StoreKeys.concat(StoreKeys.host(hostId), new byte[] {(byte) lane.ordinal()});
  }

  // ------------------------------------------------------------------ bytes

  static byte[] toArray(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
