package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.schemas.AvroSerde;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The queues of one task as stored: host and activity records ({@link Host}, {@link
 * QueuedActivity}, which holds its payload while it is read), and the indexes kept over them, each
 * in its {@link Section}. Its operations keep records and indexes in step (an activity joins and
 * leaves the upcoming index with its lane's count, its dedupe key and its deadlines), so the rules
 * never upkeep an index by hand. No rule lives here: what happens, and when, is {@link
 * HostQueues}'.
 *
 * <p>A host record is changed in memory and stored by the rules once their step is done with it
 * ({@link #save(Host)}); an activity record is stored with each transition.
 */
final class StoredQueues {

  static final List<InitiatorKind> INITIATORS = List.of(InitiatorKind.USER, InitiatorKind.SYSTEM);

  /** The lanes with one holder at a time: every lane but bypass. */
  static final List<Lane> ORDERED_LANES =
      Arrays.stream(Lane.values()).filter(l -> l != Lane.BYPASS).toList();

  private static final AvroSerde<Activity> PAYLOADS = AvroSerde.of(Activity.class);

  private final SortedStore hosts;
  private final SortedStore activities;
  private final SortedStore payloads;
  private final ReadyIndex ready;
  private final UpcomingIndex upcoming;
  private final GroupedKeys released;
  private final Deadlines deadlines;
  private final HostChecks leaseChecks;
  private final HostChecks staleChecks;
  private final GroupedKeys dependents;
  private final GroupedKeys dedupe;
  private final BudgetWaits budgetWaits;

  StoredQueues(SortedStore store) {
    this.hosts = Section.HOSTS.of(store);
    this.activities = Section.ACTIVITIES.of(store);
    this.payloads = Section.PAYLOADS.of(store);
    this.ready = new ReadyIndex(Section.READY.of(store));
    this.upcoming = new UpcomingIndex(Section.UPCOMING.of(store));
    this.released = new GroupedKeys(Section.RELEASED.of(store));
    this.deadlines = new Deadlines(Section.DEADLINES.of(store));
    this.leaseChecks = HostChecks.leases(deadlines);
    this.staleChecks = HostChecks.staleTimes(deadlines);
    this.dependents = new GroupedKeys(Section.DEPENDENTS.of(store));
    this.dedupe = new GroupedKeys(Section.DEDUPE.of(store));
    this.budgetWaits = new BudgetWaits(Section.BUDGET_WAITS.of(store));
  }

  /**
   * Forgets the seek hints kept between steps (the floors of the ready and deadline indexes, the
   * budget waits' cursor): after a step was rolled back they may be wrong.
   */
  void forgetHints() {
    ready.forgetFloors();
    deadlines.forgetFloor();
    budgetWaits.forgetCursor();
  }

  Deadlines deadlines() {
    return deadlines;
  }

  HostChecks leaseChecks() {
    return leaseChecks;
  }

  HostChecks staleChecks() {
    return staleChecks;
  }

  BudgetWaits budgetWaits() {
    return budgetWaits;
  }

  // ------------------------------------------------------------------ hosts

  /** A host's record; one written before the ready counts existed has them counted once. */
  Optional<Host> host(String hostId) {
    byte[] bytes = hosts.get(KeyParts.id(hostId));
    if (bytes == null) {
      return Optional.empty();
    }
    Host host = new Host(StateCodec.host(bytes));
    if (!host.hasReadyCounts()) {
      host.zeroReadyCounts();
      ready.forEachEntry(hostId, (lane, initiator) -> host.countReady(lane, initiator, +1));
    }
    return Optional.of(host);
  }

  Host hostOrNew(String hostId) {
    return host(hostId).orElseGet(() -> new Host(Records.newHost(hostId)));
  }

  void save(Host host) {
    hosts.put(KeyParts.id(host.id()), StateCodec.encode(host.record()));
  }

  /**
   * Forgets a host: its record, the bounds of its ready classes, its lanes' budget waits, its lease
   * and stale checks.
   */
  void forget(Host host) {
    for (Lane lane : Lane.values()) {
      budgetWaits.remove(host.id(), lane);
    }
    for (Lane lane : Lane.values()) {
      for (InitiatorKind initiator : INITIATORS) {
        if (host.hasReadyBound(lane, initiator)) {
          ready.removeBound(host.id(), lane, initiator);
        }
      }
    }
    leaseChecks.forget(host);
    staleChecks.forget(host);
    hosts.delete(KeyParts.id(host.id()));
  }

  // ------------------------------------------------------------------ activities

  Optional<QueuedActivity> activity(String activityId) {
    byte[] bytes = activities.get(KeyParts.id(activityId));
    return bytes == null
        ? Optional.empty()
        : Optional.of(new QueuedActivity(StateCodec.activity(bytes), deadlines));
  }

  void save(QueuedActivity a) {
    activities.put(KeyParts.id(a.id()), StateCodec.encode(a.record()));
  }

  /** Forgets a finished activity's record. */
  void forget(QueuedActivity a) {
    activities.delete(KeyParts.id(a.id()));
  }

  /**
   * The record of an activity just accepted, holding the activity as enqueued; it is stored with
   * its first event. The payload stays in the record while it can still be read: until the
   * activity's last attempt is released ({@link #joinReleased}), or it ends first. In the record,
   * not in a section of its own, so that an activity that waits writes it with the record it writes
   * anyway, and drops it with the record it rewrites at its release: two store writes fewer
   * (docs/BENCHMARKS.md, finding 56).
   */
  QueuedActivity accept(Activity activity, long seq, byte[] rank) {
    QueuedActivity accepted = new QueuedActivity(Records.accepted(activity, seq, rank), deadlines);
    accepted.keepPayload(PAYLOADS.serialize("p", activity));
    return accepted;
  }

  /** The activity as enqueued, while it is upcoming. */
  Activity payload(QueuedActivity a) {
    return decodePayload(storedPayload(a));
  }

  /** The activity as enqueued and stored, encoded: what a release copies. */
  byte[] storedPayload(QueuedActivity a) {
    byte[] inRecord = a.payload();
    if (inRecord != null) {
      return inRecord;
    }
    // Accepted by a version that kept payloads apart, in their own section.
    byte[] bytes = payloads.get(KeyParts.id(a.id()));
    if (bytes == null) {
      throw new IllegalStateException("no payload stored for upcoming activity " + a.id());
    }
    return bytes;
  }

  static Activity decodePayload(byte[] stored) {
    return PAYLOADS.deserialize("payloads", stored);
  }

  /**
   * Whether its payload may still be read: only an upcoming activity's ever is (to release it, to
   * follow its dependencies, to match a selector), and once its last attempt is out it is never
   * upcoming again.
   */
  private static boolean payloadStillRead(QueuedActivity a) {
    return a.hasAttemptsLeft();
  }

  /**
   * Drops a payload that will not be read again: from the record, which its step stores anyway, or,
   * for an activity an older version accepted, from the payloads section.
   */
  private void dropPayload(QueuedActivity a) {
    if (a.hasPayload()) {
      a.dropPayload();
    } else {
      payloads.delete(KeyParts.id(a.id()));
    }
  }

  // ------------------------------------------------------------------ upcoming

  /** Counts in its lane (ordered lanes only) and in the host's upcoming index. */
  void joinUpcoming(Host host, QueuedActivity a) {
    upcoming.add(a.hostId(), a.seq(), a.id());
    if (a.inOrderedLane()) {
      host.countUpcoming(a.lane(), +1);
    }
  }

  /**
   * Takes an upcoming activity out of everything upcoming (on its release or its end): the upcoming
   * and ready indexes, its stale and not_before deadlines, the dedupe key it held, its lane's
   * count.
   */
  void leaveUpcoming(Host host, QueuedActivity a) {
    upcoming.remove(a.hostId(), a.seq(), a.id());
    if (a.isReady()) {
      ready.remove(a.hostId(), a.lane(), a.initiator(), a.rank(), a.id());
      host.countReady(a.lane(), a.initiator(), -1);
      a.setReady(false);
    }
    a.unschedule(Deadline.Kind.STALE);
    a.unschedule(Deadline.Kind.NOT_BEFORE);
    if (a.dedupeKey() != null && a.id().equals(dedupe.get(a.hostId(), a.dedupeKey()))) {
      dedupe.remove(a.hostId(), a.dedupeKey());
    }
    if (a.inOrderedLane()) {
      host.countUpcoming(a.lane(), -1);
    }
  }

  /**
   * Takes an activity that ends out of everything it was in: the upcoming index ({@link
   * #leaveUpcoming}) or the released one, its lease and retry deadlines, its lane's holder slot,
   * and its payload if it still has one.
   */
  void leaveQueue(Host host, QueuedActivity a) {
    if (a.isUpcoming()) {
      leaveUpcoming(host, a);
    } else if (a.isReleased()) {
      leaveReleased(a);
    }
    a.unschedule(Deadline.Kind.LEASE);
    a.unschedule(Deadline.Kind.RETRY);
    if (a.inOrderedLane() && a.id().equals(host.holder(a.lane()))) {
      host.free(a.lane());
    }
    if (payloadStillRead(a)) {
      dropPayload(a);
    } else if (a.payloadMayOutliveRelease() && payloads.get(KeyParts.id(a.id())) != null) {
      // Accepted by a version that kept payloads until the end: looked up, not deleted blindly,
      // since a deletion is a write and a tombstone, and a lookup of a missing key is neither. An
      // activity accepted since is not looked up at all: a lookup of a missing key cost the stream
      // thread 8 % (finding 41).
      payloads.delete(KeyParts.id(a.id()));
    }
  }

  /** A host's upcoming activity ids, up to {@code limit}, in acceptance order. */
  List<String> upcoming(String hostId, int limit) {
    return upcoming.ids(hostId, limit);
  }

  /**
   * The first host with upcoming activities after {@code hostId}, in the upcoming index's order.
   */
  Optional<String> firstHostWithUpcomingAfter(String hostId) {
    return upcoming.firstHostAfter(hostId);
  }

  // ------------------------------------------------------------------ ready

  /** Enters the ready index of its lane and initiator, counted in {@code host}. */
  void becomeReady(Host host, QueuedActivity a) {
    a.setReady(true);
    Lane lane = a.lane();
    InitiatorKind initiator = a.initiator();
    ready.add(a.hostId(), lane, initiator, a.rank(), a.id());
    host.countReady(lane, initiator, +1);
    if (!host.hasReadyBound(lane, initiator)) {
      ready.addBound(a.hostId(), lane, initiator);
      host.addReadyBound(lane, initiator);
    }
  }

  /** The best-ranked ready activity of one lane and initiator, if the host counts any. */
  Optional<ReadyIndex.Head> firstReady(Host host, Lane lane, InitiatorKind initiator) {
    if (host.ready(lane, initiator) == 0) {
      return Optional.empty();
    }
    Optional<ReadyIndex.Head> head = ready.first(host.id(), lane, initiator);
    if (head.isEmpty()) {
      // The count and the index disagree, which no rule allows; the index is the truth.
      host.noneReady(lane, initiator);
    }
    return head;
  }

  /** Up to {@code limit} ready activity ids of one lane and initiator, in release order. */
  List<String> ready(Host host, Lane lane, InitiatorKind initiator, int limit) {
    if (host.ready(lane, initiator) == 0) {
      return List.of();
    }
    return ready.ids(host.id(), lane, initiator, limit);
  }

  // ------------------------------------------------------------------ released

  /**
   * Indexes a released bypass activity, and drops the payload of a last attempt ({@link
   * #payloadStillRead}). An ordered lane's released activity is its holder, already in the host
   * record: indexing it too cost two store writes (and two changelog records) per activity for the
   * sake of purge and the operators' queue view.
   */
  void joinReleased(QueuedActivity a) {
    if (!a.inOrderedLane()) {
      released.add(a.hostId(), a.id());
    }
    if (!payloadStillRead(a)) {
      dropPayload(a);
    }
  }

  void leaveReleased(QueuedActivity a) {
    if (!a.inOrderedLane()) {
      released.remove(a.hostId(), a.id());
    }
  }

  /**
   * A host's activities in flight: the released ones of its bypass lane, and each ordered lane's
   * holder (released, delivered, or waiting to retry).
   */
  List<String> inFlight(Host host) {
    List<String> ids = new ArrayList<>(released.members(host.id()));
    for (Lane lane : ORDERED_LANES) {
      String holder = host.holder(lane);
      if (holder != null && !ids.contains(holder)) {
        ids.add(holder);
      }
    }
    return ids;
  }

  /**
   * One page of {@link StoredLayout}'s change that gives every ready class its end bound ({@link
   * ReadyIndex#end}): reads up to {@code limit} keys of the ready index from {@code from}. Answers
   * where the next page starts, or null.
   */
  byte[] addMissingReadyEnds(byte[] from, int limit) {
    return ready.addMissingEnds(from, limit);
  }

  /**
   * Takes out of the released index, up to {@code limit} entries from the key {@code from} on, what
   * a store written before {@link StoredLayout#RELEASED_BYPASS_ONLY} has there and this version no
   * longer reads or removes: the ordered lanes' entries, and any whose activity is gone. An entry
   * whose activity record cannot be read is left as it is (purge and the queue view pass it over as
   * they pass over any such record). Answers where the next page starts, or null.
   */
  byte[] dropOrderedLanesFromReleasedIndex(byte[] from, int limit) {
    return released.forEachMember(
        from,
        limit,
        (hostId, activityId) -> {
          Optional<QueuedActivity> a;
          try {
            a = activity(activityId);
          } catch (RuntimeException unreadable) {
            return;
          }
          if (a.isEmpty() || a.get().inOrderedLane()) {
            released.remove(hostId, activityId);
          }
        });
  }

  // ------------------------------------------------------------------ dependents and dedupe keys

  /** Records that {@code dependentId} waits for {@code dependency}, flagging and storing it. */
  void waitFor(QueuedActivity dependency, String dependentId) {
    dependents.add(dependency.id(), dependentId);
    if (!dependency.hasDependents()) {
      dependency.setHasDependents(true);
      save(dependency);
    }
  }

  /** Removes and answers the ids of the activities that waited for {@code a}. */
  List<String> takeDependents(QueuedActivity a) {
    List<String> taken = a.hasDependents() ? dependents.take(a.id()) : List.of();
    a.setHasDependents(false);
    return taken;
  }

  /** The upcoming activity holding a host's dedupe key, if any. */
  Optional<String> dedupeHolder(String hostId, String dedupeKey) {
    return Optional.ofNullable(dedupe.get(hostId, dedupeKey));
  }

  /**
   * The activity holds its host's dedupe key, which {@link #dedupeHolder} found free in this step:
   * inserted, so an activity released in the step that queued it writes no dedupe entry at all.
   */
  void holdDedupeKey(QueuedActivity a) {
    dedupe.insert(a.hostId(), a.dedupeKey(), a.id());
  }

  // ------------------------------------------------------------------ budget waits

  /** A lane's next release waits for the system release budget. */
  void waitForBudget(String hostId, Lane lane) {
    budgetWaits.add(hostId, lane);
  }
}
