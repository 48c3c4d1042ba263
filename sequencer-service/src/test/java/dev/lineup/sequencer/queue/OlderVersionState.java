package dev.lineup.sequencer.queue;

import dev.lineup.sequencer.state.ActivityRecord;

/** What a version before host checks left in a task's store, written behind the rules' back. */
final class OlderVersionState {

  private OlderVersionState() {}

  /**
   * An activity's lease ({@link Deadline.Kind#LEASE}) or stale time ({@link Deadline.Kind#STALE})
   * with a deadline of its own at {@code at}, as such a version indexed it.
   */
  static void ownDeadline(SortedStore store, String activityId, Deadline.Kind kind, long at) {
    ActivityRecord record =
        StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id(activityId)));
    switch (kind) {
      case LEASE -> record.setLeaseIndexed(true);
      case STALE -> record.setStaleIndexed(true);
      default -> throw new IllegalArgumentException(kind + " was never an activity's own");
    }
    Section.ACTIVITIES.of(store).put(KeyParts.id(activityId), StateCodec.encode(record));
    new Deadlines(Section.DEADLINES.of(store)).add(new Deadline(at, kind, activityId));
  }
}
