package dev.lineup.intake.ledger;

import dev.lineup.avro.ActivityState;
import dev.lineup.schemas.Lifecycle;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A batch as a group, like a package's status: {@code QUEUED} while none has started, {@code
 * RUNNING} while some are done or under way, then {@code SUCCEEDED} if every one succeeded, else
 * {@code FINISHED_WITH_FAILURES}.
 *
 * @param counts how many of its activities are in each state
 */
@Serdeable(naming = SnakeCaseStrategy.class)
public record BatchView(
    String batchId, String state, int size, Instant createdAt, Map<String, Integer> counts) {

  /** Not started: accepted by intake, or queued by the sequencer. */
  private static final Set<ActivityState> WAITING =
      EnumSet.of(ActivityState.REQUESTED, ActivityState.QUEUED);

  static BatchView of(String batchId, int size, Instant createdAt, Map<String, Integer> counts) {
    int waiting = 0;
    int finished = 0;
    for (var e : counts.entrySet()) {
      ActivityState state = Lifecycle.state(e.getKey());
      if (WAITING.contains(state)) {
        waiting += e.getValue();
      } else if (Lifecycle.isTerminal(state)) {
        finished += e.getValue();
      }
    }
    String state;
    if (finished == size) {
      state = counts.getOrDefault("SUCCEEDED", 0) == size ? "SUCCEEDED" : "FINISHED_WITH_FAILURES";
    } else if (waiting == size) {
      state = "QUEUED";
    } else {
      state = "RUNNING";
    }
    return new BatchView(batchId, state, size, createdAt, counts);
  }
}
