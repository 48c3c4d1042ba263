package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.Lane;
import dev.lineup.schemas.AvroSerde;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
import dev.lineup.sequencer.state.LaneSlot;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  /**
   * Per ready class (its key prefix), a key no live entry of the class sorts below: the head last
   * found, lowered when something ranks ahead of it; or {@link #NOTHING_READY} when the last look
   * found the class empty and nothing was added since. It lives as long as this object, which is
   * built afresh whenever the task (re)initialises, so it never outlives a rollback of the store.
   */
  private final Map<ByteBuffer, byte[]> readyFloors = new HashMap<>();

  /**
   * The floor of a class known to be empty. Most hosts only ever use one lane and one initiator
   * class, and every release looks at all six (lane, class) pairs: without this, five of those
   * looks were a store seek that found nothing.
   */
  private static final byte[] NOTHING_READY = new byte[0];

  QueueState(QueueStores stores) {
    this.stores = stores;
  }

  // ------------------------------------------------------------------ hosts

  Optional<HostRecord> host(String hostId) {
    byte[] bytes = stores.hosts().get(StoreKeys.id(hostId));
    return bytes == null ? Optional.empty() : Optional.of(decodeHost(bytes));
  }

  HostRecord hostOrNew(String hostId) {
    return host(hostId)
        .orElseGet(
            () ->
                HostRecord.newBuilder()
                    .setHostId(hostId)
                    .setDefaultLane(LaneSlot.newBuilder().build())
                    .setSetupLane(LaneSlot.newBuilder().build())
                    .build());
  }

  void putHost(HostRecord host) {
    stores.hosts().put(StoreKeys.id(host.getHostId()), encode(host::toByteBuffer));
  }

  void deleteHost(String hostId) {
    stores.hosts().delete(StoreKeys.id(hostId));
  }

  static LaneSlot slot(HostRecord host, Lane lane) {
    return lane == Lane.SETUP ? host.getSetupLane() : host.getDefaultLane();
  }

  // ------------------------------------------------------------------ activities

  Optional<ActivityRecord> activity(String activityId) {
    byte[] bytes = stores.activities().get(StoreKeys.id(activityId));
    return bytes == null ? Optional.empty() : Optional.of(decodeActivity(bytes));
  }

  void putActivity(ActivityRecord record) {
    stores.activities().put(StoreKeys.id(record.getActivityId()), encode(record::toByteBuffer));
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

  void addReady(ActivityRecord a) {
    byte[] key = readyKey(a);
    stores.ready().put(key, PRESENT);
    ByteBuffer prefix = ByteBuffer.wrap(readyPrefix(a));
    byte[] floor = readyFloors.get(prefix);
    if (floor == NOTHING_READY || (floor != null && Arrays.compareUnsigned(key, floor) < 0)) {
      readyFloors.put(prefix, key);
    }
  }

  void removeReady(ActivityRecord a) {
    stores.ready().delete(readyKey(a));
  }

  /**
   * The first ready activity of one initiator class in a lane, if any. The scan starts at the
   * class's floor, not at its prefix: every release deletes the head of the index, and on RocksDB a
   * scan from the prefix steps over all those deletions again (at depth 10,000 the seek was four
   * fifths of the cost of an event).
   */
  Optional<ReadyHead> firstReady(String hostId, Lane lane, byte initiatorClass) {
    byte[] prefix = StoreKeys.readyPrefix(hostId, lane, initiatorClass);
    ByteBuffer floorKey = ByteBuffer.wrap(prefix);
    byte[] floor = readyFloors.get(floorKey);
    if (floor == NOTHING_READY) {
      return Optional.empty();
    }
    List<SortedStore.Entry> first =
        stores.ready().range(floor == null ? prefix : floor, StoreKeys.after(prefix), 1);
    if (first.isEmpty()) {
      rememberFloor(floorKey, NOTHING_READY);
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
  List<String> readyIds(String hostId, Lane lane, byte initiatorClass, int limit) {
    byte[] prefix = StoreKeys.readyPrefix(hostId, lane, initiatorClass);
    ByteBuffer floorKey = ByteBuffer.wrap(prefix);
    if (readyFloors.get(floorKey) == NOTHING_READY) {
      return List.of();
    }
    List<String> ids = new ArrayList<>();
    for (SortedStore.Entry e : stores.ready().scan(prefix, limit)) {
      ids.add(StoreKeys.readyActivityId(e.key(), prefix.length, Ranking.KEY_LENGTH));
    }
    if (ids.isEmpty()) {
      rememberFloor(floorKey, NOTHING_READY);
    }
    return ids;
  }

  private static byte[] readyPrefix(ActivityRecord a) {
    return StoreKeys.readyPrefix(
        a.getHostId(),
        Lane.valueOf(a.getLane()),
        a.getSystemInitiated() ? StoreKeys.SYSTEM : StoreKeys.USER);
  }

  private static byte[] readyKey(ActivityRecord a) {
    return StoreKeys.ready(
        a.getHostId(),
        Lane.valueOf(a.getLane()),
        a.getSystemInitiated() ? StoreKeys.SYSTEM : StoreKeys.USER,
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

  /** Every upcoming activity of every host in these stores, as {host id, activity id}. */
  List<String[]> allUpcoming(int limit) {
    List<String[]> all = new ArrayList<>();
    for (SortedStore.Entry e : stores.upcoming().scan(new byte[0], limit)) {
      ByteBuffer b = ByteBuffer.wrap(e.key());
      byte[] host = new byte[b.getShort()];
      b.get(host);
      b.getLong();
      byte[] id = new byte[b.remaining()];
      b.get(id);
      all.add(new String[] {StoreKeys.id(host), StoreKeys.id(id)});
    }
    return all;
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
    stores.deadlines().put(StoreKeys.deadline(at, kind, activityId), PRESENT);
  }

  void removeDeadline(Long at, Deadline.Kind kind, String activityId) {
    if (at != null) {
      stores.deadlines().delete(StoreKeys.deadline(at, kind, activityId));
    }
  }

  /** Deadlines due at or before {@code now}, oldest first. */
  List<Deadline> due(long now, int limit) {
    List<Deadline> due = new ArrayList<>();
    byte[] to = StoreKeys.ordered(now + 1);
    for (SortedStore.Entry e :
        stores.deadlines().range(StoreKeys.ordered(Long.MIN_VALUE), to, limit)) {
      due.add(StoreKeys.deadline(e.key()));
    }
    return due;
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

  /** Host lanes waiting for the budget, by host. */
  List<HostLane> budgetWaits(int limit) {
    List<HostLane> waits = new ArrayList<>();
    for (SortedStore.Entry e : stores.budgetWaits().scan(new byte[0], limit)) {
      ByteBuffer b = ByteBuffer.wrap(e.key());
      byte[] host = new byte[b.getShort()];
      b.get(host);
      waits.add(new HostLane(StoreKeys.id(host), Lane.values()[b.get()]));
    }
    return waits;
  }

  record HostLane(String hostId, Lane lane) {}

  private static byte[] budgetWaitKey(String hostId, Lane lane) {
    return StoreKeys.concat(StoreKeys.host(hostId), new byte[] {(byte) lane.ordinal()});
  }

  // ------------------------------------------------------------------ codecs

  private static HostRecord decodeHost(byte[] bytes) {
    try {
      return HostRecord.fromByteBuffer(ByteBuffer.wrap(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt host record", e);
    }
  }

  private static ActivityRecord decodeActivity(byte[] bytes) {
    try {
      return ActivityRecord.fromByteBuffer(ByteBuffer.wrap(bytes));
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt activity record", e);
    }
  }

  private interface Encoding {
    ByteBuffer encode() throws IOException;
  }

  private static byte[] encode(Encoding encoding) {
    ByteBuffer buffer;
    try {
      buffer = encoding.encode();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode state", e);
    }
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  static byte[] toArray(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
