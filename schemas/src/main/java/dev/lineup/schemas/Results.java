package dev.lineup.schemas;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import java.time.Instant;
import java.util.UUID;

/** Results as a device reports them on {@code lineup.results}. */
public final class Results {

  private Results() {}

  /**
   * The released attempt ran and exited 0: a new result id, so it is never taken as a duplicate.
   */
  public static ActivityResult.Builder succeeded(ReleasedActivity released, Instant at) {
    return ActivityResult.newBuilder()
        .setResultId(UUID.randomUUID().toString())
        .setActivityId(released.getActivity().getActivityId())
        .setHostId(released.getActivity().getHostId())
        .setAttempt(released.getAttempt())
        .setKind(ResultKind.SUCCEEDED)
        .setOccurredAt(at)
        .setExitCode(0);
  }
}
