package dev.lineup.sequencer.queue;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.Limits;
import dev.lineup.sequencer.state.ActivityRecord;
import java.nio.ByteBuffer;

/**
 * One activity as the queue keeps it, from its acceptance until it is forgotten, typed: its state,
 * lane, type and rank, its attempts, what it waits for, and its deadlines. The stored record keeps
 * the enum fields as their symbols' names; only this class reads and writes them.
 *
 * <p>A deadline is a field of the record mirrored in the deadline index: {@link #reschedule} and
 * {@link #unschedule} change both, so neither is ever changed without the other. The lease and the
 * stale time are the exceptions: since host checks, only their fields are the activity's, and one
 * deadline of its host watches each ({@link #leaseUntil}, {@link #goesStaleAt}, {@link
 * HostChecks}). Everything else changes the record only, which the rules store when they are done
 * with it.
 */
final class QueuedActivity {

  private final ActivityRecord record;
  private final Deadlines deadlines;

  QueuedActivity(ActivityRecord record, Deadlines deadlines) {
    this.record = record;
    this.deadlines = deadlines;
  }

  ActivityRecord record() {
    return record;
  }

  String id() {
    return record.getActivityId();
  }

  String hostId() {
    return record.getHostId();
  }

  ActivityType type() {
    return ActivityType.valueOf(record.getType());
  }

  Lane lane() {
    return Lane.valueOf(record.getLane());
  }

  /** Whether it runs in a lane of one holder at a time ({@code default}, {@code setup}). */
  boolean inOrderedLane() {
    return lane() != Lane.BYPASS;
  }

  ActivityState state() {
    return ActivityState.valueOf(record.getState());
  }

  /** Enters {@code state}: its next lifecycle event takes the next sequence. */
  void moveTo(ActivityState state) {
    record.setState(state.name());
    record.setEventSeq(record.getEventSeq() + 1);
  }

  /** QUEUED: accepted and not released, or failed and waiting to retry. */
  boolean isUpcoming() {
    return state() == ActivityState.QUEUED;
  }

  /** RELEASED or DELIVERED: running on its device. */
  boolean isReleased() {
    return Lifecycle.isReleased(state());
  }

  /** In a terminal state. */
  boolean hasEnded() {
    return Lifecycle.isTerminal(state());
  }

  long eventSeq() {
    return record.getEventSeq();
  }

  InitiatorKind initiator() {
    return record.getSystemInitiated() ? InitiatorKind.SYSTEM : InitiatorKind.USER;
  }

  /** Its sort key among the ready activities of its lane ({@link Ranking}). */
  byte[] rank() {
    ByteBuffer rank = record.getRank().duplicate();
    byte[] bytes = new byte[rank.remaining()];
    rank.get(bytes);
    return bytes;
  }

  long seq() {
    return record.getSeq();
  }

  int priority() {
    return record.getPriority();
  }

  String batchId() {
    return record.getBatchId();
  }

  long acceptedAt() {
    return record.getAcceptedAt();
  }

  int attempt() {
    return record.getAttempt();
  }

  int maxAttempts() {
    return record.getMaxAttempts();
  }

  /** Whether a failed attempt is retried: it has not had its last one yet. */
  boolean hasAttemptsLeft() {
    return attempt() < maxAttempts();
  }

  void startAttempt() {
    record.setAttempt(record.getAttempt() + 1);
  }

  long backoffMs() {
    return record.getBackoffMs();
  }

  double backoffMultiplier() {
    return record.getBackoffMultiplier();
  }

  /**
   * The wait after its current attempt failed, {@code backoff_ms × multiplier^(attempt − 1)}. Rule
   * 15 bounds each input, not their product: 1 day x 10^19 would be centuries, and past
   * Long.MAX_VALUE it wraps to the past. A wait is never longer than the longest backoff.
   */
  long backoff() {
    double grown = backoffMs() * Math.pow(backoffMultiplier(), attempt() - 1);
    return Double.isNaN(grown)
        ? 0
        : (long) Math.max(0, Math.min(grown, Limits.MAX_BACKOFF.toMillis()));
  }

  /** Dependencies not yet succeeded. */
  int pendingDependencies() {
    return record.getPendingDependencies();
  }

  void waitFor(int dependencies) {
    record.setPendingDependencies(dependencies);
  }

  void dependencySucceeded() {
    record.setPendingDependencies(record.getPendingDependencies() - 1);
  }

  /** Whether something was accepted waiting for it: only then does its end look for dependents. */
  boolean hasDependents() {
    return record.getHasDependents();
  }

  void setHasDependents(boolean hasDependents) {
    record.setHasDependents(hasDependents);
  }

  /** Whether it is in the ready index. */
  boolean isReady() {
    return record.getReady();
  }

  void setReady(boolean ready) {
    record.setReady(ready);
  }

  String dedupeKey() {
    return record.getDedupeKey();
  }

  Long notBefore() {
    return record.getNotBefore();
  }

  Long leaseExpiresAt() {
    return record.getLeaseExpiresAt();
  }

  Long retryAt() {
    return record.getRetryAt();
  }

  /** Whether it waits to retry, and its backoff is over by {@code now}. */
  boolean retryDueBy(long now) {
    return record.getRetryAt() != null && record.getRetryAt() <= now;
  }

  Long staleAt() {
    return record.getStaleAt();
  }

  /**
   * Whether its stale time has a STALE deadline of its own: only one an older version accepted,
   * before host stale checks. Any other is watched by its host's check ({@link HostChecks}).
   */
  boolean staleIndexed() {
    return record.getStaleIndexed();
  }

  /**
   * It goes stale at {@code at} if still upcoming then: only the record's, so its host's check
   * ({@link HostChecks#watch}) must be no later than it while it waits.
   */
  void goesStaleAt(long at) {
    record.setStaleIndexed(false);
    record.setStaleAt(at);
  }

  /**
   * Whether its lease has a LEASE deadline of its own: only a lease from a release by a version
   * before host lease checks. Any other is watched by its host's check ({@link HostChecks}).
   */
  boolean leaseIndexed() {
    return record.getLeaseIndexed();
  }

  /**
   * Whether its payload may outlive its last release: only if an older version accepted it, which
   * kept payloads until the activity ended.
   */
  boolean payloadMayOutliveRelease() {
    return record.getPayloadMayOutliveRelease();
  }

  /**
   * The activity as enqueued, as its record keeps it while it may still be released; null once
   * dropped, and in a record an older version accepted, which kept it in the payloads section.
   */
  byte[] payload() {
    ByteBuffer payload = record.getPayload();
    if (payload == null) {
      return null;
    }
    if (payload.hasArray()
        && payload.arrayOffset() == 0
        && payload.position() == 0
        && payload.remaining() == payload.array().length) {
      // As decoded: a buffer of its own, exactly the bytes (a release copies them once more).
      return payload.array();
    }
    byte[] bytes = new byte[payload.remaining()];
    payload.duplicate().get(bytes);
    return bytes;
  }

  /** Whether its record holds the activity as enqueued ({@link #payload}). */
  boolean hasPayload() {
    return record.getPayload() != null;
  }

  /** Keeps the activity as enqueued in its record, stored with it. */
  void keepPayload(byte[] payload) {
    record.setPayload(ByteBuffer.wrap(payload));
  }

  /** Drops the activity as enqueued from its record, from its next store on. */
  void dropPayload() {
    record.setPayload(null);
  }

  /**
   * The channel its releases go to, kept from its payload; null in a record an older version wrote
   * without it, whose release takes it (and the lease asked for) from the payload.
   */
  Channel channel() {
    return record.getChannel() == null ? null : Channel.valueOf(record.getChannel());
  }

  /** The lease length its payload asks for, or null for its type's default. */
  Long timeoutMs() {
    return record.getTimeoutMs();
  }

  /**
   * Its lease runs until {@code at}: a new one at a release, or a later one at a heartbeat. A lease
   * with a deadline of its own moves it; any other is only the record's, and its host's check
   * ({@link HostChecks#watch}) must then be no later than it.
   */
  void leaseUntil(long at) {
    if (leaseIndexed() && record.getLeaseExpiresAt() != null) {
      reschedule(Deadline.Kind.LEASE, at);
    } else {
      record.setLeaseIndexed(false);
      record.setLeaseExpiresAt(at);
    }
  }

  /** Its deadline of one kind with a key in the index, or null if none. */
  Long deadline(Deadline.Kind kind) {
    return switch (kind) {
      case LEASE -> leaseIndexed() ? record.getLeaseExpiresAt() : null;
      case RETRY -> record.getRetryAt();
      case NOT_BEFORE -> record.getNotBefore();
      case STALE -> staleIndexed() ? record.getStaleAt() : null;
      case FORGET -> record.getForgetAt();
      case HOST_LEASES, HOST_STALE -> throw new IllegalArgumentException("a host's deadline");
    };
  }

  /** Moves its deadline of one kind to {@code at}, in the record and in the index. */
  void reschedule(Deadline.Kind kind, long at) {
    Long was = deadline(kind);
    if (was != null && was != at) {
      deadlines.remove(new Deadline(was, kind, id()));
    }
    set(kind, at);
    if (was == null) {
      // Field and key come and go together, so no key is stored (not_before keeps its field).
      deadlines.addFirstOfKind(new Deadline(at, kind, id()));
    } else {
      deadlines.add(new Deadline(at, kind, id()));
    }
  }

  /**
   * Takes its deadline of one kind out of the index, and out of the record; except {@code
   * not_before}, which is the activity's own and has passed once it matters again (at a retry).
   */
  void unschedule(Deadline.Kind kind) {
    Long was = deadline(kind);
    if (was != null) {
      deadlines.remove(new Deadline(was, kind, id()));
    }
    if (kind != Deadline.Kind.NOT_BEFORE) {
      set(kind, null);
    }
  }

  private void set(Deadline.Kind kind, Long at) {
    switch (kind) {
      case LEASE -> record.setLeaseExpiresAt(at);
      case RETRY -> record.setRetryAt(at);
      case NOT_BEFORE -> record.setNotBefore(at);
      case STALE -> record.setStaleAt(at);
      case FORGET -> record.setForgetAt(at);
      case HOST_LEASES, HOST_STALE -> throw new IllegalArgumentException("a host's deadline");
    }
  }
}
