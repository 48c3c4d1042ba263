package dev.lineup.sequencer.queue;

import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The ready index: each host lane's ready activities in release order, user-initiated and
 * system-initiated ones apart (rule 10 picks between the two heads). Key: {@code
 * [len][host][lane][initiator][rank][activity id]}; a class's entries are the keys under its prefix
 * {@code [len][host][lane][initiator]}, and the bare prefix is the class's bound.
 *
 * <p>Why bounds and floors. On RocksDB a deleted key stays in the store as a tombstone until
 * compaction, and a seek steps over every tombstone between where it starts and the first live key.
 * Every release deletes the head of the index. So a class's first read starts just after its bound,
 * a live key that stays while the host does: a read that runs past the last entry of the class
 * before it stops there, instead of walking on over the deleted entries of every finished host
 * after it (measured: half of the stream thread's time at 5,000 hosts). And the head is sought from
 * the class's floor, the head last found (lowered when something ranks ahead of it), not from its
 * prefix: at depth 10,000 the seek from the prefix was four fifths of the cost of an event. Floors
 * live in memory only and are forgotten whenever a step's writes are discarded; a missing floor
 * only costs a longer seek.
 *
 * <p>Each class also has an end bound, a live key after every entry it can hold ({@link #end}), and
 * its reads stop there. Kafka Streams' RocksDB iterator reads one key past the last one a read
 * returns and then steps once more before it checks the read's upper bound: a read of a class with
 * nothing left in the store read the next class's bound and stepped on over that class's deleted
 * entries. With the end bound, the key past the last one is the class's own end, and the step from
 * it lands on the next class's bound with nothing in between but what is left of classes removed
 * since the last compaction (forgotten hosts) (measured: the head's read was a fifth of the stream
 * thread, docs/BENCHMARKS.md finding 58). The end is the reads' exclusive upper bound: Kafka
 * Streams' range includes its upper bound, and the store adapter drops the key equal to it ({@code
 * KeyValueSortedStore}). A store written before end bounds gets them from {@link StoredLayout};
 * until then a read without one only walks further.
 */
final class ReadyIndex {

  /** The head of one class: its activity and rank, to compare across classes. */
  record Head(String activityId, byte[] rank) {

    boolean ranksBefore(Head other) {
      return Arrays.compareUnsigned(rank, other.rank) < 0;
    }
  }

  private static final byte[] PRESENT = new byte[0];
  private static final byte[] END = endSuffix();

  /**
   * Past every key of the index: a key starts with its host id's two-byte length, and no host id
   * (at most 255 characters, 1,020 bytes) is 0xFFFF bytes long.
   */
  private static final byte[] END_OF_INDEX = {-1, -1, -1};

  private static final byte USER = 0;
  private static final byte SYSTEM = 1;

  /** Past this many remembered floors the memory starts over; a floor only ever saves work. */
  private static final int REMEMBERED_FLOORS = 100_000;

  private final SortedStore section;

  /** Per class (its prefix), a key no live entry of the class sorts below. */
  private final Map<ByteBuffer, byte[]> floors = new HashMap<>();

  ReadyIndex(SortedStore section) {
    this.section = section;
  }

  void forgetFloors() {
    floors.clear();
  }

  void add(String hostId, Lane lane, InitiatorKind initiator, byte[] rank, String activityId) {
    byte[] prefix = prefix(hostId, lane, initiator);
    byte[] key = KeyParts.concat(prefix, rank, KeyParts.id(activityId));
    section.insert(key, PRESENT);
    ByteBuffer floorKey = ByteBuffer.wrap(prefix);
    byte[] floor = floors.get(floorKey);
    if (floor != null && Arrays.compareUnsigned(key, floor) < 0) {
      floors.put(floorKey, key);
    }
  }

  void remove(String hostId, Lane lane, InitiatorKind initiator, byte[] rank, String activityId) {
    section.delete(KeyParts.concat(prefix(hostId, lane, initiator), rank, KeyParts.id(activityId)));
  }

  /** Writes a class's bounds; written once, when the class first has an entry. */
  void addBound(String hostId, Lane lane, InitiatorKind initiator) {
    byte[] prefix = prefix(hostId, lane, initiator);
    section.put(prefix, PRESENT);
    section.put(end(prefix), PRESENT);
  }

  void removeBound(String hostId, Lane lane, InitiatorKind initiator) {
    byte[] prefix = prefix(hostId, lane, initiator);
    section.delete(prefix);
    section.delete(end(prefix));
  }

  /**
   * Writes the end bound of each class whose bound is among the up to {@code limit} keys from
   * {@code from} on, for a store written before end bounds.
   *
   * @return where the next page starts, or null once the index has been read to its end
   */
  byte[] addMissingEnds(byte[] from, int limit) {
    List<SortedStore.Entry> page = section.range(from, END_OF_INDEX, limit);
    for (SortedStore.Entry e : page) {
      byte[] key = e.key();
      if (isBound(key)) {
        section.put(end(key), PRESENT);
      }
    }
    return page.size() < limit ? null : KeyParts.after(page.get(page.size() - 1).key());
  }

  /** The first entry of a class, read from its floor; empty if the class has none. */
  Optional<Head> first(String hostId, Lane lane, InitiatorKind initiator) {
    byte[] prefix = prefix(hostId, lane, initiator);
    ByteBuffer floorKey = ByteBuffer.wrap(prefix);
    byte[] floor = floors.get(floorKey);
    List<SortedStore.Entry> first =
        section.range(floor == null ? firstEntry(prefix) : floor, end(prefix), 1);
    if (first.isEmpty()) {
      return Optional.empty();
    }
    byte[] key = first.get(0).key();
    if (floors.size() >= REMEMBERED_FLOORS) {
      floors.clear();
    }
    floors.put(floorKey, key);
    int rankEnd = prefix.length + Ranking.KEY_LENGTH;
    return Optional.of(
        new Head(
            KeyParts.id(key, rankEnd, key.length),
            Arrays.copyOfRange(key, prefix.length, rankEnd)));
  }

  /** Up to {@code limit} activity ids of one class, in release order. */
  List<String> ids(String hostId, Lane lane, InitiatorKind initiator, int limit) {
    byte[] prefix = prefix(hostId, lane, initiator);
    int rankEnd = prefix.length + Ranking.KEY_LENGTH;
    List<String> ids = new ArrayList<>();
    for (SortedStore.Entry e : section.range(firstEntry(prefix), end(prefix), limit)) {
      ids.add(KeyParts.id(e.key(), rankEnd, e.key().length));
    }
    return ids;
  }

  /**
   * Calls {@code entry} with the lane and initiator of each of the host's entries (bounds and ends
   * not).
   */
  void forEachEntry(String hostId, BiConsumer<Lane, InitiatorKind> entry) {
    byte[] host = KeyParts.lengthPrefixed(hostId);
    for (SortedStore.Entry e : section.scan(host, Integer.MAX_VALUE)) {
      if (isBound(e.key()) || isEnd(e.key())) {
        continue;
      }
      entry.accept(
          Lane.values()[e.key()[host.length]],
          e.key()[host.length + 1] == SYSTEM ? InitiatorKind.SYSTEM : InitiatorKind.USER);
    }
  }

  private static byte[] endSuffix() {
    byte[] end = new byte[Ranking.KEY_LENGTH + 1];
    Arrays.fill(end, (byte) 0xFF);
    return end;
  }

  /** [len][host][lane][initiator]: a class's prefix, and its bound. */
  private static byte[] prefix(String hostId, Lane lane, InitiatorKind initiator) {
    return KeyParts.concat(
        KeyParts.lengthPrefixed(hostId),
        new byte[] {(byte) lane.ordinal(), initiator == InitiatorKind.SYSTEM ? SYSTEM : USER});
  }

  /**
   * A class's end bound: its prefix and 17 0xFF bytes, after every entry (a 16-byte rank, then an
   * id in UTF-8, whose bytes are never 0xFF) and before the next class's bound.
   */
  static byte[] end(byte[] prefix) {
    return KeyParts.concat(prefix, END);
  }

  /** Whether a key of the index is a class's bound: its prefix alone. */
  static boolean isBound(byte[] key) {
    return key.length == KeyParts.lengthPrefixedLength(key) + 2;
  }

  /** Whether a key of the index is a class's end; an entry ends in an id, never in 0xFF. */
  static boolean isEnd(byte[] key) {
    return key[key.length - 1] == (byte) 0xFF;
  }

  /** Where a class's entries start: just after its bound. */
  private static byte[] firstEntry(byte[] prefix) {
    return KeyParts.concat(prefix, new byte[] {0});
  }
}
