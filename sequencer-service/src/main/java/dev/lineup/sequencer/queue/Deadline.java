package dev.lineup.sequencer.queue;

import java.util.Arrays;

/**
 * Something that must happen to one activity (or, for a host's check, one host) at a wall-clock
 * time, and its key in the deadline index: {@code [at][kind][activity id or host id]}, so the index
 * is in time order. The kinds are stored by their ordinal: add new ones at the end.
 */
record Deadline(long at, Kind kind, String activityId) {

  enum Kind {
    /** A released activity's lease lapses: EXPIRED (LEASE_EXPIRED). */
    LEASE,
    /** A failed attempt's backoff is over: release it again. */
    RETRY,
    /** {@code not_before} has passed: the activity may become ready. */
    NOT_BEFORE,
    /**
     * An upcoming activity reached the maximum age: EXPIRED (STALE). Only an activity a version
     * before host stale checks accepted has one.
     */
    STALE,
    /** A finished activity's record is no longer needed for dependencies or duplicates. */
    FORGET,
    /**
     * A host's released activities are due for a look at their leases: one deadline per host, no
     * later than the earliest lease it watches, in place of a LEASE deadline per release.
     */
    HOST_LEASES,
    /**
     * A host's upcoming activities are due for a look at their age: one deadline per host, no later
     * than the earliest stale time it watches, in place of a STALE deadline per activity.
     */
    HOST_STALE;

    /** Whether it is a host's check: its key holds the host's id. */
    boolean isHostCheck() {
      return this == HOST_LEASES || this == HOST_STALE;
    }
  }

  /** The host a host's check is for. */
  String hostId() {
    if (!kind.isHostCheck()) {
      throw new IllegalStateException(kind + " is an activity's deadline");
    }
    return activityId;
  }

  /** Where the time goes in the key; the kind follows it. */
  static final int KIND_AT = 8;

  byte[] key() {
    return KeyParts.concat(
        KeyParts.ordered(at), new byte[] {(byte) kind.ordinal()}, KeyParts.id(activityId));
  }

  /** The first key a deadline due at {@code at} can have: every earlier one sorts below it. */
  static byte[] firstKeyAt(long at) {
    return KeyParts.ordered(at);
  }

  /** The deadline a key holds, or null if it does not parse as one. */
  static Deadline of(byte[] key) {
    if (key.length <= KIND_AT || key[KIND_AT] < 0 || key[KIND_AT] >= Kind.values().length) {
      return null;
    }
    return new Deadline(
        KeyParts.ordered(key, 0),
        Kind.values()[key[KIND_AT]],
        KeyParts.id(Arrays.copyOfRange(key, KIND_AT + 1, key.length)));
  }
}
