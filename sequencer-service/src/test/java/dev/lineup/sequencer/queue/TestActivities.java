package dev.lineup.sequencer.queue;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.ScriptRunPayload;
import java.time.Instant;

/** Activities and results as the queue's tests (and the topology's) enqueue and report them. */
public final class TestActivities {

  private TestActivities() {}

  /** A user's script run on {@code host}, accepted at {@code acceptedAt}. */
  public static Activity.Builder script(String host, String id, Instant acceptedAt) {
    return Activity.newBuilder()
        .setActivityId(id)
        .setHostId(host)
        .setType(ActivityType.SCRIPT_RUN)
        .setChannel(Channel.SCRIPT)
        .setInitiator(Initiator.newBuilder().setKind(InitiatorKind.USER).build())
        .setAcceptedAt(acceptedAt)
        .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("ab".repeat(32)).build());
  }

  /** Its first attempt succeeded. */
  static ActivityResult succeeded(String host, String id, long at) {
    return ActivityResult.newBuilder()
        .setResultId("r-" + id)
        .setActivityId(id)
        .setHostId(host)
        .setAttempt(1)
        .setKind(ResultKind.SUCCEEDED)
        .setOccurredAt(Instant.ofEpochMilli(at))
        .setExitCode(0)
        .build();
  }
}
