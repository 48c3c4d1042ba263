package dev.lineup.sequencer.queue;

import dev.lineup.avro.Lane;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Host lanes whose next release waits for the system release budget (rule 10). Key: {@code
 * [len][host][lane]}. They take turns: each read starts after the lane last served, in memory only
 * like the other seek hints, and wraps around.
 */
final class BudgetWaits {

  /**
   * A host lane waiting for the release budget, with its key; {@code hostId} and {@code lane} are
   * null if the key does not parse.
   */
  record HostLane(byte[] key, String hostId, Lane lane) {}

  private static final byte[] PRESENT = new byte[0];

  /** Past every key (host keys start with a length below 0x8000). */
  private static final byte[] AFTER_EVERY_KEY = {(byte) 0xFF};

  private final SortedStore section;

  /** The key of the host lane last served. */
  private byte[] cursor;

  BudgetWaits(SortedStore section) {
    this.section = section;
  }

  void forgetCursor() {
    cursor = null;
  }

  void add(String hostId, Lane lane) {
    section.put(key(hostId, lane), PRESENT);
  }

  void remove(String hostId, Lane lane) {
    section.delete(key(hostId, lane));
  }

  /**
   * Up to {@code limit} waiting host lanes, taking turns: the read starts after the last one {@link
   * #served} and wraps around, so no host's id sorting first lets it be served ahead of the rest at
   * every refill.
   */
  List<HostLane> next(int limit) {
    List<SortedStore.Entry> entries = new ArrayList<>();
    if (cursor != null) {
      entries.addAll(
          section.range(KeyParts.concat(cursor, new byte[] {0}), AFTER_EVERY_KEY, limit));
    }
    if (entries.size() < limit) {
      for (SortedStore.Entry e : section.scan(new byte[0], limit - entries.size())) {
        if (cursor != null && Arrays.compareUnsigned(e.key(), cursor) > 0) {
          break; // wrapped round to where the first read began
        }
        entries.add(e);
      }
    }
    List<HostLane> waits = new ArrayList<>(entries.size());
    for (SortedStore.Entry e : entries) {
      waits.add(parse(e.key()));
    }
    return waits;
  }

  /** The next read starts after this host lane. */
  void served(HostLane wait) {
    cursor = wait.key();
  }

  /** Removes a wait by its key as stored, whether it parses or not. */
  void delete(HostLane wait) {
    section.delete(wait.key());
  }

  private static byte[] key(String hostId, Lane lane) {
    return KeyParts.concat(KeyParts.lengthPrefixed(hostId), new byte[] {(byte) lane.ordinal()});
  }

  private static HostLane parse(byte[] key) {
    if (key.length >= 3) {
      int hostEnd = KeyParts.lengthPrefixedLength(key);
      int lane = key[key.length - 1];
      if (key.length == hostEnd + 1 && lane >= 0 && lane < Lane.values().length) {
        return new HostLane(key, KeyParts.id(key, 2, hostEnd), Lane.values()[lane]);
      }
    }
    return new HostLane(key, null, null);
  }
}
