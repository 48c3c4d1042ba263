package dev.lineup.schemas;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import java.time.Instant;

/**
 * The only event of an activity refused before it was queued: REQUESTED straight to REJECTED, the
 * activity's first and last event (sequence 1). The sequencer writes it for a full lane or a taken
 * dedupe key, intake for a schedule's skipped firing.
 */
public final class Rejection {

  private Rejection() {}

  public static LifecycleEvent of(
      Activity activity, ReasonCode reason, String detail, Instant occurredAt) {
    return LifecycleEvent.newBuilder()
        .setEventId(activity.getActivityId() + ":1")
        .setActivityId(activity.getActivityId())
        .setHostId(activity.getHostId())
        .setSequence(1)
        .setState(ActivityState.REJECTED)
        .setReason(reason)
        .setOccurredAt(occurredAt)
        .setType(activity.getType())
        .setLane(activity.getLane())
        .setPriority(activity.getPriority())
        .setBatchId(activity.getBatchId())
        .setAcceptedAt(activity.getAcceptedAt())
        .setDetail(detail)
        .build();
  }
}
