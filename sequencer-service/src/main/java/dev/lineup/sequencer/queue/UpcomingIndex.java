package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The upcoming index: each host's upcoming activities that are not ready (waiting for a dependency,
 * a retry's backoff or {@code not_before}), in acceptance order. A ready activity is in the {@link
 * ReadyIndex} instead, and {@link StoredQueues#upcoming} puts the two together for cancel-all,
 * purge, selector cancels, stale checks and the queue view; an activity queued behind another so
 * writes one index entry and its deletion, not two of each (docs/BENCHMARKS.md, finding 60). A
 * ready activity an older version queued keeps its entry here too, until it leaves ({@link
 * QueuedActivity#upcomingIndexed}). Key: {@code [len][host][seq][activity id]}; hosts sort by their
 * length-prefixed id, the order a selector cancel goes through them in.
 */
final class UpcomingIndex {

  private static final byte[] PRESENT = new byte[0];

  /** Past every key (they start with a host id's two-byte length, at most 0x03FF). */
  private static final byte[] AFTER_EVERY_KEY = {-1};

  private final SortedStore section;

  UpcomingIndex(SortedStore section) {
    this.section = section;
  }

  void add(String hostId, long seq, String activityId) {
    section.insert(key(hostId, seq, activityId), PRESENT);
  }

  void remove(String hostId, long seq, String activityId) {
    section.delete(key(hostId, seq, activityId));
  }

  /** An upcoming activity of a host, by its acceptance sequence. */
  record Member(long seq, String activityId) {}

  /** Up to {@code limit} of a host's entries, in acceptance order. */
  List<Member> members(String hostId, int limit) {
    byte[] host = KeyParts.lengthPrefixed(hostId);
    List<Member> members = new ArrayList<>();
    for (SortedStore.Entry e : section.scan(host, limit)) {
      members.add(
          new Member(
              KeyParts.ordered(e.key(), host.length),
              KeyParts.id(e.key(), host.length + 8, e.key().length)));
    }
    return members;
  }

  /**
   * The first host with an upcoming activity after {@code hostId} (or the first of all if null).
   */
  Optional<String> firstHostAfter(String hostId) {
    byte[] from = hostId == null ? new byte[0] : KeyParts.after(KeyParts.lengthPrefixed(hostId));
    List<SortedStore.Entry> first = section.range(from, AFTER_EVERY_KEY, 1);
    if (first.isEmpty()) {
      return Optional.empty();
    }
    byte[] key = first.get(0).key();
    return Optional.of(KeyParts.id(key, 2, KeyParts.lengthPrefixedLength(key)));
  }

  private static byte[] key(String hostId, long seq, String activityId) {
    return KeyParts.concat(
        KeyParts.lengthPrefixed(hostId), KeyParts.ordered(seq), KeyParts.id(activityId));
  }
}
