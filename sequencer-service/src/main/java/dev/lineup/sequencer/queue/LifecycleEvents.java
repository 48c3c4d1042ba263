package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ReasonCode;

/**
 * Puts the lifecycle events the rules decide in the {@link Outbox}: one per transition, with the
 * activity's record stored as it enters the state; notes (rule 12), which repeat a state; and the
 * only event of an activity refused before it was queued. The events are built by {@link Records}.
 */
final class LifecycleEvents {

  private final StoredQueues stored;
  private final Outbox outbox;

  LifecycleEvents(StoredQueues stored, Outbox outbox) {
    this.stored = stored;
    this.outbox = outbox;
  }

  void emit(QueuedActivity a, ActivityState to, ReasonCode reason, String detail, long now) {
    emit(a, to, reason, detail, null, now);
  }

  /**
   * One lifecycle event, carrying the exit code and output of {@code result} if there is one; the
   * record's event sequence moves on and the record is stored.
   */
  void emit(
      QueuedActivity a,
      ActivityState to,
      ReasonCode reason,
      String detail,
      ActivityResult result,
      long now) {
    a.moveTo(to);
    stored.save(a);
    outbox.event(Records.event(a, to, reason, detail, result, now));
  }

  /** A note (rule 12): an event that repeats the activity's state, which does not change. */
  void note(QueuedActivity a, ReasonCode reason, String detail, long now) {
    emit(a, a.state(), reason, detail, now);
  }

  /** An activity refused before it was queued: REQUESTED straight to REJECTED. */
  void reject(Activity activity, ReasonCode reason, String detail, long now) {
    outbox.event(Records.rejected(activity, reason, detail, now));
  }
}
