package dev.lineup.sequencer.queue;

/** Something that must happen to one activity at a wall-clock time. */
record Deadline(long at, Kind kind, String activityId) {

  enum Kind {
    /** A released activity's lease lapses: EXPIRED (LEASE_EXPIRED). */
    LEASE,
    /** A failed attempt's backoff is over: release it again. */
    RETRY,
    /** {@code not_before} has passed: the activity may become ready. */
    NOT_BEFORE,
    /** An upcoming activity reached the maximum age: EXPIRED (STALE). */
    STALE,
    /** A finished activity's record is no longer needed for dependencies or duplicates. */
    FORGET
  }
}
