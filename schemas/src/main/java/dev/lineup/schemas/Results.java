package dev.lineup.schemas;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;

/**
 * Every kind of result on {@code lineup.results}, as the gateway and devices report them, each
 * built here once. Every result gets a new id, so it is never taken for a repeat of another.
 */
public final class Results {

  /** The released attempt a result reports on: the activity, its host, and which release. */
  public record Attempt(String activityId, String hostId, int attempt) {

    public Attempt {
      Objects.requireNonNull(activityId, "activityId");
      Objects.requireNonNull(hostId, "hostId");
    }

    public static Attempt of(ReleasedActivity released) {
      return new Attempt(
          released.getActivity().getActivityId(),
          released.getActivity().getHostId(),
          released.getAttempt());
    }
  }

  private Results() {}

  /** The device has the attempt: an agent took its task, or the MDM server took its command. */
  public static ActivityResult delivered(Attempt attempt, Instant at) {
    return report(attempt, ResultKind.DELIVERED, at).build();
  }

  /**
   * The attempt is still running: its lease is to run {@code leaseExtensionMs} from now, or the
   * type's default if null (an MDM device that answered NotNow).
   */
  public static ActivityResult heartbeat(Attempt attempt, Instant at, Long leaseExtensionMs) {
    return report(attempt, ResultKind.HEARTBEAT, at).setLeaseExtensionMs(leaseExtensionMs).build();
  }

  /**
   * The attempt ended, {@code SUCCEEDED} or {@code FAILED}, with what the device reported (either
   * may be null).
   */
  public static ActivityResult ended(
      Attempt attempt, ResultKind outcome, Instant at, Integer exitCode, String output) {
    if (outcome != ResultKind.SUCCEEDED && outcome != ResultKind.FAILED) {
      throw new IllegalArgumentException("an attempt ends SUCCEEDED or FAILED, not " + outcome);
    }
    return report(attempt, outcome, at).setExitCode(exitCode).setOutput(output).build();
  }

  /**
   * The attempt can never reach its device as it is (an MDM command the server refused): FAILED,
   * with the reason as its output, so the host's queue moves on.
   */
  public static ActivityResult undeliverable(Attempt attempt, Instant at, String reason) {
    return ended(attempt, ResultKind.FAILED, at, null, reason);
  }

  /**
   * The released attempt ran and exited 0, as a simulated device reports it; the builder lets a
   * test add output.
   */
  public static ActivityResult.Builder succeeded(ReleasedActivity released, Instant at) {
    return report(Attempt.of(released), ResultKind.SUCCEEDED, at).setExitCode(0);
  }

  // The topic keeps milliseconds; truncating here keeps the record equal to what a reader decodes.
  private static ActivityResult.Builder report(Attempt attempt, ResultKind kind, Instant at) {
    return ActivityResult.newBuilder()
        .setResultId(UUID.randomUUID().toString())
        .setActivityId(attempt.activityId())
        .setHostId(attempt.hostId())
        .setAttempt(attempt.attempt())
        .setKind(kind)
        .setOccurredAt(at.truncatedTo(ChronoUnit.MILLIS));
  }
}
