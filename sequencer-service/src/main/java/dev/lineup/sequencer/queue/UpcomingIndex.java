package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The upcoming index: every upcoming activity of each host, in acceptance order, for cancel-all,
 * purge, selector cancels and the queue view. Key: {@code [len][host][seq][activity id]}; hosts
 * sort by their length-prefixed id, the order a selector cancel goes through them in.
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

  /** Up to {@code limit} upcoming activity ids of a host, in acceptance order. */
  List<String> ids(String hostId, int limit) {
    byte[] host = KeyParts.lengthPrefixed(hostId);
    List<String> ids = new ArrayList<>();
    for (SortedStore.Entry e : section.scan(host, limit)) {
      ids.add(KeyParts.id(e.key(), host.length + 8, e.key().length));
    }
    return ids;
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
