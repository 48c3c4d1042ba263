package dev.lineup.intake.ledger;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Lifecycle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One activity's events of a batch, folded into the one row write they add up to: a burst's QUEUED,
 * RELEASED, DELIVERED and SUCCEEDED of an activity become one upsert instead of four, each of which
 * would have rewritten the row and its index entries.
 *
 * <p>An event folds into the one before it of the same activity only when both are transitions (not
 * notes) of the same run (the same {@code accepted_at}, which every event the sequencer writes
 * carries) and it is the very next of the run (the sequence plus one; a note between them, which
 * takes a sequence too, keeps them apart). A replayed event in the batch then never folds into a
 * later one, and any write between two folded events in the batch is older than both. The folded
 * write then says what applying them one by one would: the last event's state, reason, detail,
 * attempt and sequence; the latest release time; the first end; the latest exit code and output.
 * Anything else (a note, an event without {@code accepted_at}, an older or another run's event) is
 * written on its own, as before, and the per-row sequence guard in SQL decides.
 *
 * @param last the latest event folded in: the row's state, reason and sequence
 * @param releasedAt when the latest release among them happened, or null
 * @param finishedAt when the first of them that ends the activity happened, or null
 * @param exitCode the latest exit code among them, or null
 * @param output the latest output among them, or null
 */
record FoldedEvents(
    LifecycleEvent last, Instant releasedAt, Instant finishedAt, Integer exitCode, String output) {

  static FoldedEvents of(LifecycleEvent e) {
    return new FoldedEvents(
        e,
        e.getState() == ActivityState.RELEASED ? e.getOccurredAt() : null,
        Lifecycle.isTerminal(e.getState()) ? e.getOccurredAt() : null,
        e.getExitCode(),
        e.getOutput());
  }

  /** The writes a batch of events adds up to, each activity's folded where it may be. */
  static List<FoldedEvents> fold(List<LifecycleEvent> events) {
    List<FoldedEvents> writes = new ArrayList<>(events.size());
    Map<String, Integer> open = new HashMap<>();
    for (LifecycleEvent e : events) {
      if (!foldable(e)) {
        writes.add(of(e));
        continue;
      }
      Integer at = open.get(e.getActivityId());
      if (at != null && writes.get(at).takes(e)) {
        writes.set(at, writes.get(at).then(e));
      } else {
        open.put(e.getActivityId(), writes.size());
        writes.add(of(e));
      }
    }
    return writes;
  }

  private static boolean foldable(LifecycleEvent e) {
    return e.getAcceptedAt() != null && !Lifecycle.isNote(e.getReason());
  }

  private boolean takes(LifecycleEvent next) {
    return Objects.equals(last.getAcceptedAt(), next.getAcceptedAt())
        && next.getSequence() == last.getSequence() + 1;
  }

  private FoldedEvents then(LifecycleEvent next) {
    FoldedEvents alone = of(next);
    return new FoldedEvents(
        next,
        alone.releasedAt != null ? alone.releasedAt : releasedAt,
        finishedAt != null ? finishedAt : alone.finishedAt,
        alone.exitCode != null ? alone.exitCode : exitCode,
        alone.output != null ? alone.output : output);
  }
}
