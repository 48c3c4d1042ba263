package dev.lineup.sequencer.queue;

import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.sequencer.state.HostRecord;
import dev.lineup.sequencer.state.LaneSlot;
import java.util.ArrayList;
import java.util.List;

/**
 * One host's record, typed: whether it is paused, each ordered lane's holder and upcoming count,
 * its next acceptance sequence, and how many ready entries each lane and initiator has in the ready
 * index. Changes are kept in the record, which the rules store when their step is done.
 */
final class Host {

  private final HostRecord record;

  Host(HostRecord record) {
    this.record = record;
  }

  HostRecord record() {
    return record;
  }

  String id() {
    return record.getHostId();
  }

  boolean isPaused() {
    return record.getPaused();
  }

  void setPaused(boolean paused) {
    record.setPaused(paused);
  }

  /** The next acceptance sequence, the tie-breaker of every ranking. */
  long takeSeq() {
    long seq = record.getNextSeq();
    record.setNextSeq(seq + 1);
    return seq;
  }

  /**
   * The activity an ordered lane is held by (released, delivered, or waiting to retry), or null.
   */
  String holder(Lane lane) {
    return slot(lane).getHolder();
  }

  void hold(Lane lane, String activityId) {
    slot(lane).setHolder(activityId);
  }

  void free(Lane lane) {
    slot(lane).setHolder(null);
  }

  /** Activities waiting in an ordered lane, its holder included while it waits to retry. */
  int upcoming(Lane lane) {
    return slot(lane).getUpcoming();
  }

  void countUpcoming(Lane lane, int delta) {
    LaneSlot slot = slot(lane);
    slot.setUpcoming(Math.max(0, slot.getUpcoming() + delta));
  }

  /** Ready entries of one lane and initiator: a release seeks only where there are some. */
  int ready(Lane lane, InitiatorKind initiator) {
    return record.getReadyCounts().get(index(lane, initiator));
  }

  void countReady(Lane lane, InitiatorKind initiator, int delta) {
    List<Integer> counts = record.getReadyCounts();
    int index = index(lane, initiator);
    counts.set(index, Math.max(0, counts.get(index) + delta));
  }

  /** The count of a class whose index holds nothing: the index is the truth. */
  void noneReady(Lane lane, InitiatorKind initiator) {
    record.getReadyCounts().set(index(lane, initiator), 0);
  }

  /** False for a record written before the ready counts existed (v1): they are to be counted. */
  boolean hasReadyCounts() {
    return record.getReadyCounts() != null;
  }

  /** Every ready count at zero, to count them up from the index. */
  void zeroReadyCounts() {
    record.setReadyCounts(new ArrayList<>(List.of(0, 0, 0, 0, 0, 0)));
  }

  /** Whether the ready index holds the bound of this lane and initiator. */
  boolean hasReadyBound(Lane lane, InitiatorKind initiator) {
    return (record.getReadyBounds() & (1 << index(lane, initiator))) != 0;
  }

  void addReadyBound(Lane lane, InitiatorKind initiator) {
    record.setReadyBounds(record.getReadyBounds() | (1 << index(lane, initiator)));
  }

  /**
   * When the host's check of one kind ({@link Deadline.Kind#HOST_LEASES} or {@link
   * Deadline.Kind#HOST_STALE}) is due, or null if none is scheduled ({@link HostChecks}).
   */
  Long checkAt(Deadline.Kind kind) {
    return switch (kind) {
      case HOST_LEASES -> record.getLeaseCheckAt();
      case HOST_STALE -> record.getStaleCheckAt();
      default -> throw new IllegalArgumentException(kind + " is an activity's deadline");
    };
  }

  void setCheckAt(Deadline.Kind kind, Long at) {
    switch (kind) {
      case HOST_LEASES -> record.setLeaseCheckAt(at);
      case HOST_STALE -> record.setStaleCheckAt(at);
      default -> throw new IllegalArgumentException(kind + " is an activity's deadline");
    }
  }

  /**
   * How far below the latest a stale time may come and still be taken as in acceptance order: one
   * that does (the clock stepped back, or the task moved to an instance whose clock is a little
   * behind) goes stale with the latest instead, at most this much later than its maximum age.
   */
  private static final long STALE_TIME_TOLERANCE_MS = 1_000;

  /**
   * The stale time of an activity accepted now, {@code staleAt} by the maximum age: raised to the
   * latest of those waiting when it falls short of it by no more than {@link
   * #STALE_TIME_TOLERANCE_MS}, so that a small step back of the clock keeps them in order.
   */
  long staleTimeInOrder(long staleAt) {
    Long latest = record.getLatestStaleAt();
    return latest != null && staleAt < latest && latest - staleAt <= STALE_TIME_TOLERANCE_MS
        ? latest
        : staleAt;
  }

  /**
   * An activity that goes stale at {@code staleAt} waits, accepted after every other waiting: notes
   * whether the stale times still follow acceptance (not if the maximum age was lowered since).
   */
  void waitsUntilStale(long staleAt) {
    Long latest = record.getLatestStaleAt();
    if (latest != null && staleAt < latest) {
      record.setStaleTimesUnordered(true);
    }
    record.setLatestStaleAt(latest == null ? staleAt : Math.max(latest, staleAt));
  }

  /** Whether the stale times of the activities waiting are in acceptance order. */
  boolean staleTimesInOrder() {
    return !record.getStaleTimesUnordered();
  }

  /**
   * A stale check read every activity waiting: {@code latest} is the latest stale time left, null
   * if none is, and {@code inOrder} whether those left follow acceptance.
   */
  void staleTimesLeft(Long latest, boolean inOrder) {
    record.setLatestStaleAt(latest);
    record.setStaleTimesUnordered(latest != null && !inOrder);
  }

  /** Only the ordered lanes have a slot; anything else is taken for the default lane's. */
  private LaneSlot slot(Lane lane) {
    return lane == Lane.SETUP ? record.getSetupLane() : record.getDefaultLane();
  }

  /** Where a lane and initiator count in the record: lane ordinal * 2 + (system ? 1 : 0). */
  private static int index(Lane lane, InitiatorKind initiator) {
    return lane.ordinal() * 2 + (initiator == InitiatorKind.SYSTEM ? 1 : 0);
  }
}
