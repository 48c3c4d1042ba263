package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The deadline index: what must happen to which activity when, in time order ({@link Deadline} owns
 * the key). Each deadline is added and removed with the activity record field it mirrors.
 *
 * <p>It keeps a floor, a key no live deadline sorts below: lowered by every deadline added, raised
 * by each look at what is due to the first deadline not yet due. While the floor lies in the future
 * a tick reads nothing; without it each tick sought from the start of the index through the
 * tombstones of every lease and stale deadline removed since the last compaction. The floor lives
 * in memory only and is forgotten whenever a step's writes are discarded, so it never outlives a
 * rollback of the store; a missing floor means "start from the beginning".
 */
final class Deadlines {

  private static final byte[] PRESENT = new byte[0];

  /** Past the last deadline key any deadline can have (nine 0xFF bytes). */
  private static final byte[] AFTER_EVERY_DEADLINE = {-1, -1, -1, -1, -1, -1, -1, -1, -1};

  /**
   * A due deadline as stored: its key, and what the key says, or null for a key that does not parse
   * as a deadline.
   */
  record Due(byte[] key, Deadline deadline) {}

  private final SortedStore section;
  private byte[] floor;

  Deadlines(SortedStore section) {
    this.section = section;
  }

  void forgetFloor() {
    floor = null;
  }

  void add(Deadline deadline) {
    section.put(deadline.key(), PRESENT);
    lowerFloorTo(deadline.key());
  }

  /**
   * {@link #add} of an activity's first deadline of its kind: no entry has its key, so a step that
   * adds it and removes it again writes nothing ({@link SortedStore#insert}).
   */
  void addFirstOfKind(Deadline deadline) {
    section.insert(deadline.key(), PRESENT);
    lowerFloorTo(deadline.key());
  }

  private void lowerFloorTo(byte[] key) {
    if (floor != null && Arrays.compareUnsigned(key, floor) < 0) {
      floor = key;
    }
  }

  void remove(Deadline deadline) {
    section.delete(deadline.key());
  }

  /**
   * Up to {@code limit} deadlines due at or before {@code now}, oldest first, left in the store:
   * each is removed by whatever handles it ({@link #delete}). The floor then moves up to the first
   * deadline not due, so the next ticks seek nothing until it is; a step that fails makes the floor
   * be forgotten, so a deadline left behind is found again.
   */
  List<Due> due(long now, int limit) {
    byte[] to = Deadline.firstKeyAt(now + 1);
    if (floor != null && Arrays.compareUnsigned(floor, to) >= 0) {
      return List.of();
    }
    byte[] from = floor == null ? Deadline.firstKeyAt(Long.MIN_VALUE) : floor;
    List<Due> due = new ArrayList<>();
    byte[] last = null;
    for (SortedStore.Entry e : section.range(from, to, limit)) {
      due.add(new Due(e.key(), Deadline.of(e.key())));
      last = e.key();
    }
    if (due.size() == limit) {
      floor = last; // more may be due: the rest sort after the last one read
    } else {
      List<SortedStore.Entry> next = section.range(to, AFTER_EVERY_DEADLINE, 1);
      floor = next.isEmpty() ? to : next.get(0).key();
    }
    return due;
  }

  /** Removes a due deadline by its key as stored, whether it parses or not. */
  void delete(byte[] key) {
    section.delete(key);
  }
}
