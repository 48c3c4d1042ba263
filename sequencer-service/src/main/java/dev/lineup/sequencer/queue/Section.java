package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sections of a task's one queue store: every key is stored behind its section's one-byte tag,
 * and every read stays within it, so the logical stores below live in one physical store (one
 * RocksDB instance and one changelog partition per task and transaction, instead of one each) and
 * still never see each other's keys. The tags are part of the stored layout: never renumber one,
 * and give a new section the next free tag.
 *
 * <p>An activity's payload is kept in its record while it may be read (a release, a preemption or a
 * selector reads it), not in a section of its own: an activity that waits writes its record when it
 * is queued and again when it is released, and the payload rides along the first and is dropped by
 * the second, where a section of its own cost a write and a deletion more (docs/BENCHMARKS.md,
 * finding 56). No event touches more records as a host's queue grows.
 *
 * <p>Each section starts with a bound: two keys no section uses for data, the bare tag and the tag
 * followed by one zero byte ({@link #writeBounds}). Kafka Streams' RocksDB iterators step one key
 * past the last one they return, and on RocksDB a step walks over every deletion until the next
 * live key. A read that runs off the end of its section would so walk over the following sections'
 * deletions (measured: 2.1 ms instead of 0.28 ms per event). It now stops at the next section's
 * first bound, and the step past it lands on the second, as the end of a store of its own would.
 */
public enum Section {
  /** Host id to its record: pause flag, lanes, acceptance sequence, ready counts. */
  HOSTS(1),
  /**
   * Activity id to its record: its place in the queue, and while it may still be released, the
   * activity as enqueued.
   */
  ACTIVITIES(2),
  /**
   * Activity id to the activity as enqueued, for activities an older version accepted (deleted when
   * the last attempt is released or the activity ends); an activity accepted since keeps it in its
   * record.
   */
  PAYLOADS(3),
  /** Ready activities of each host lane, in release order ({@link ReadyIndex}). */
  READY(4),
  /** Every upcoming activity of each host, in acceptance order ({@link UpcomingIndex}). */
  UPCOMING(5),
  /**
   * The released activities of each host's bypass lane ({@link GroupedKeys}); an ordered lane's is
   * its holder, in the host record. Before {@link StoredLayout#RELEASED_BYPASS_ONLY}, every lane's.
   */
  RELEASED(6),
  /** What must happen when, in time order ({@link Deadline}). */
  DEADLINES(7),
  /** Which activities wait for which ({@link GroupedKeys}). */
  DEPENDENTS(8),
  /** The upcoming activity holding each host's dedupe key ({@link GroupedKeys}). */
  DEDUPE(9),
  /** Host lanes whose next release waits for the system release budget ({@link BudgetWaits}). */
  BUDGET_WAITS(10),
  /** Selector cancels still under way, with their progress ({@link PendingCancellations}). */
  CANCELLATIONS(11),
  /** The changes of the stored layout this store has had, a key each ({@link StoredLayout}). */
  LAYOUT(12);

  private final byte tag;

  Section(int tag) {
    this.tag = (byte) tag;
  }

  /** The byte every key of this section starts with, in the whole store. */
  byte tag() {
    return tag;
  }

  /** This section of {@code whole}: keys go in and come out without the tag. */
  SortedStore of(SortedStore whole) {
    return new InSection(whole, tag);
  }

  /**
   * Writes every section's bounds into {@code whole} where they are missing; the task that owns the
   * store calls it before its first read.
   */
  public static void writeBounds(SortedStore whole) {
    int last = values()[values().length - 1].tag;
    for (int tag = values()[0].tag; tag <= last + 1; tag++) {
      for (byte[] bound : new byte[][] {{(byte) tag}, {(byte) tag, 0}}) {
        if (whole.get(bound) == null) {
          whole.put(bound, new byte[0]);
        }
      }
    }
  }

  private static final class InSection implements SortedStore {

    private final SortedStore whole;
    private final byte tag;

    InSection(SortedStore whole, byte tag) {
      this.whole = whole;
      this.tag = tag;
    }

    @Override
    public byte[] get(byte[] key) {
      return whole.get(inSection(key));
    }

    @Override
    public void put(byte[] key, byte[] value) {
      whole.put(inSection(key), value);
    }

    @Override
    public void insert(byte[] key, byte[] value) {
      whole.insert(inSection(key), value);
    }

    @Override
    public void delete(byte[] key) {
      whole.delete(inSection(key));
    }

    @Override
    public List<Entry> scan(byte[] prefix, int limit) {
      return outOfSection(whole.scan(inSection(prefix), withBound(prefix, limit)), limit);
    }

    @Override
    public List<Entry> range(byte[] from, byte[] toExclusive, int limit) {
      return outOfSection(
          whole.range(inSection(from), inSection(toExclusive), withBound(from, limit)), limit);
    }

    private byte[] inSection(byte[] key) {
      byte[] tagged = new byte[key.length + 1];
      tagged[0] = tag;
      System.arraycopy(key, 0, tagged, 1, key.length);
      return tagged;
    }

    /** A read from the very start of the section meets its two bounds first: ask for two more. */
    private static int withBound(byte[] from, int limit) {
      return from.length <= 1 && limit < Integer.MAX_VALUE - 2 ? limit + 2 : limit;
    }

    private static boolean isBound(byte[] key) {
      return key.length == 1 || (key.length == 2 && key[1] == 0);
    }

    private static List<Entry> outOfSection(List<Entry> entries, int limit) {
      List<Entry> untagged = new ArrayList<>(Math.min(entries.size(), limit));
      for (Entry e : entries) {
        if (isBound(e.key()) || untagged.size() == limit) {
          continue;
        }
        untagged.add(new Entry(Arrays.copyOfRange(e.key(), 1, e.key().length), e.value()));
      }
      return untagged;
    }
  }
}
