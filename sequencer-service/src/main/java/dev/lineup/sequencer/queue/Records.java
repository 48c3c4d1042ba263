package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.schemas.Limits;
import dev.lineup.schemas.Rejection;
import dev.lineup.schemas.StoredText;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
import dev.lineup.sequencer.state.LaneSlot;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the records the queue writes: a new host's record, an accepted activity's record and its
 * lifecycle events. No rule decides anything here; every value comes from the caller or from the
 * records themselves.
 */
final class Records {

  private Records() {}

  /** A host seen for the first time: no lane held, nothing upcoming, nothing ready. */
  static HostRecord newHost(String hostId) {
    return HostRecord.newBuilder()
        .setHostId(hostId)
        .setDefaultLane(LaneSlot.newBuilder().build())
        .setSetupLane(LaneSlot.newBuilder().build())
        .setReadyCounts(new ArrayList<>(List.of(0, 0, 0, 0, 0, 0)))
        .build();
  }

  /**
   * The record of an activity just accepted, QUEUED, with its acceptance sequence and rank. A
   * missing initiator is the system (rule 10); a retry policy's values are held to what makes sense
   * (at least one attempt, no negative backoff, a multiplier of at least 1).
   */
  static ActivityRecord accepted(Activity activity, long seq, byte[] rank) {
    RetryPolicy retry = activity.getRetry();
    return ActivityRecord.newBuilder()
        .setActivityId(activity.getActivityId())
        .setHostId(activity.getHostId())
        .setType(activity.getType().name())
        .setLane(activity.getLane().name())
        .setState(ActivityState.QUEUED.name())
        .setPriority(activity.getPriority())
        .setBatchId(activity.getBatchId())
        .setSeq(seq)
        .setRank(ByteBuffer.wrap(rank))
        .setSystemInitiated(
            activity.getInitiator() == null
                || activity.getInitiator().getKind() == InitiatorKind.SYSTEM)
        .setMaxAttempts(retry == null ? 1 : Math.max(1, retry.getMaxAttempts()))
        .setBackoffMs(retry == null ? 0 : Math.max(0, retry.getBackoffMs()))
        .setBackoffMultiplier(retry == null ? 2.0 : Math.max(1.0, retry.getBackoffMultiplier()))
        .setAcceptedAt(activity.getAcceptedAt().toEpochMilli())
        .setNotBefore(
            activity.getNotBefore() == null ? null : activity.getNotBefore().toEpochMilli())
        .setDedupeKey(activity.getDedupeKey())
        .setHasDependents(false)
        .setPayloadMayOutliveRelease(false)
        .setChannel(activity.getChannel().name())
        .setTimeoutMs(activity.getTimeoutMs())
        .build();
  }

  /**
   * The lifecycle event of an activity that just took its event sequence ({@code moveTo}). A result
   * that ended an attempt gives its exit code and its output, cleaned and cut to rule 15's bound: a
   * device gateway writes results directly, and an event past a Kafka record's size would be fatal
   * to the task.
   */
  static LifecycleEvent event(
      QueuedActivity a,
      ActivityState to,
      ReasonCode reason,
      String detail,
      ActivityResult result,
      long now) {
    return LifecycleEvent.newBuilder()
        .setEventId(a.id() + ":" + a.eventSeq())
        .setActivityId(a.id())
        .setHostId(a.hostId())
        .setSequence(a.eventSeq())
        .setState(to)
        .setReason(reason)
        .setOccurredAt(Instant.ofEpochMilli(now))
        .setType(a.type())
        .setLane(a.lane())
        .setPriority(a.priority())
        .setBatchId(a.batchId())
        .setAcceptedAt(Instant.ofEpochMilli(a.acceptedAt()))
        .setAttempt(a.attempt())
        .setExitCode(result == null ? null : result.getExitCode())
        .setOutput(result == null ? null : StoredText.of(result.getOutput(), Limits.OUTPUT_BYTES))
        .setDetail(detail)
        .build();
  }

  /** The only event of an activity refused before it was queued: REQUESTED straight to REJECTED. */
  static LifecycleEvent rejected(Activity activity, ReasonCode reason, String detail, long now) {
    return Rejection.of(activity, reason, detail, Instant.ofEpochMilli(now));
  }
}
