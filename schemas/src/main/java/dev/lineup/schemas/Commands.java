package dev.lineup.schemas;

import dev.lineup.avro.Activity;
import dev.lineup.avro.Cancel;
import dev.lineup.avro.CancelMatching;
import dev.lineup.avro.CancelUpcoming;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.avro.Pause;
import dev.lineup.avro.Purge;
import dev.lineup.avro.Resume;
import dev.lineup.avro.Selector;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Every kind of command on {@code lineup.commands}, each built here once. Every command gets a new
 * id, and is written under the host it names ({@link Command#getHostId}), which a selector cancel
 * alone does not have: it goes to every partition under {@link Topics#BROADCAST_KEY}.
 */
public final class Commands {

  private Commands() {}

  /**
   * Enqueue an accepted activity on its host, issued when intake accepted it. With {@code preempt},
   * every upcoming activity of the host is cancelled and this one goes first (rule 6).
   */
  public static Command enqueue(Activity activity, boolean preempt) {
    return command(
        activity.getHostId(),
        Enqueue.newBuilder().setActivity(activity).setPreempt(preempt).build(),
        activity.getAcceptedAt());
  }

  /** Cancel one activity of the host. */
  public static Command cancel(String hostId, String activityId, Instant at) {
    return command(hostId, Cancel.newBuilder().setActivityId(activityId).build(), at);
  }

  /** Cancel every upcoming activity of the host, leaving what is released running. */
  public static Command cancelUpcoming(String hostId, Instant at) {
    return command(hostId, CancelUpcoming.newBuilder().build(), at);
  }

  public static Command pause(String hostId, Instant at) {
    return command(hostId, Pause.newBuilder().build(), at);
  }

  public static Command resume(String hostId, Instant at) {
    return command(hostId, Resume.newBuilder().build(), at);
  }

  /** End every activity of the host ({@code HOST_PURGED}) and forget its state. */
  public static Command purge(String hostId, Instant at) {
    return command(hostId, Purge.newBuilder().build(), at);
  }

  /**
   * Cancel every upcoming activity, on every host, that {@code selector} matches: one command for
   * all partitions, keyed {@link Topics#BROADCAST_KEY}.
   */
  public static Command cancelMatching(String cancellationId, Selector selector, Instant at) {
    return command(
        Topics.BROADCAST_KEY,
        CancelMatching.newBuilder().setCancellationId(cancellationId).setSelector(selector).build(),
        at);
  }

  // The topic keeps milliseconds; truncating here keeps the record equal to what a reader decodes.
  private static Command command(String hostId, Object body, Instant at) {
    return Command.newBuilder()
        .setCommandId(UUID.randomUUID().toString())
        .setHostId(hostId)
        .setIssuedAt(at.truncatedTo(ChronoUnit.MILLIS))
        .setBody(body)
        .build();
  }
}
