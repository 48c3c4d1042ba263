package dev.lineup.sequencer.queue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The writes of one step (one command, result or tick) held back until the step is done, so that a
 * step that throws half way changes nothing: {@link #commit} applies them to the store beneath,
 * {@link #discard} forgets them. Reads see the staged writes over the store, as the step expects.
 *
 * <p>A step writes a few dozen keys at most, so the overlay is a small sorted map, and a read that
 * touches no staged key goes straight to the store.
 *
 * <p>A key the step {@linkplain #insert inserted} is one the store does not have, so deleting it
 * again in the same step only forgets the staged write: neither the entry nor its deletion reaches
 * the store. Every write reaching the store is a RocksDB write and a changelog record through the
 * broker and into the standby, and a deletion stays a tombstone that seeks step over until
 * compaction. An activity released in the step that queued it so writes no upcoming, ready or stale
 * entry at all.
 */
public final class StagedStore implements SortedStore {

  /** A staged deletion; compared by identity, so no stored value can be mistaken for it. */
  private static final byte[] DELETED = new byte[0];

  private final SortedStore store;
  private final NavigableMap<byte[], byte[]> staged = new TreeMap<>(Arrays::compareUnsigned);

  /** The staged keys the store beneath does not have: inserted by this step. */
  private final Set<ByteBuffer> fresh = new HashSet<>();

  public StagedStore(SortedStore store) {
    this.store = store;
  }

  /** Applies the step's writes to the store beneath, in key order. */
  public void commit() {
    for (Map.Entry<byte[], byte[]> write : staged.entrySet()) {
      if (write.getValue() == DELETED) {
        store.delete(write.getKey());
      } else {
        store.put(write.getKey(), write.getValue());
      }
    }
    staged.clear();
    fresh.clear();
  }

  /** Forgets the step's writes: the store is as it was before the step. */
  public void discard() {
    staged.clear();
    fresh.clear();
  }

  @Override
  public byte[] get(byte[] key) {
    byte[] value = staged.get(key);
    if (value != null) {
      return value == DELETED ? null : value;
    }
    return store.get(key);
  }

  @Override
  public void put(byte[] key, byte[] value) {
    if (value == null) {
      delete(key);
      return;
    }
    staged.put(key, value);
  }

  /**
   * A key staged already keeps what is known of it: one deleted earlier in this step is in the
   * store, so inserting it again is a put.
   */
  @Override
  public void insert(byte[] key, byte[] value) {
    if (!staged.containsKey(key)) {
      fresh.add(ByteBuffer.wrap(key));
    }
    put(key, value);
  }

  @Override
  public void delete(byte[] key) {
    if (fresh.remove(ByteBuffer.wrap(key))) {
      staged.remove(key);
    } else {
      staged.put(key, DELETED);
    }
  }

  @Override
  public List<Entry> scan(byte[] prefix, int limit) {
    NavigableMap<byte[], byte[]> mine = stagedWithPrefix(prefix);
    if (mine.isEmpty()) {
      return store.scan(prefix, limit);
    }
    int wider = widened(limit, mine.size());
    return merge(store.scan(prefix, wider), wider, mine, limit);
  }

  @Override
  public List<Entry> range(byte[] from, byte[] toExclusive, int limit) {
    NavigableMap<byte[], byte[]> mine = staged.subMap(from, true, toExclusive, false);
    if (mine.isEmpty()) {
      return store.range(from, toExclusive, limit);
    }
    int wider = widened(limit, mine.size());
    return merge(store.range(from, toExclusive, wider), wider, mine, limit);
  }

  private NavigableMap<byte[], byte[]> stagedWithPrefix(byte[] prefix) {
    if (prefix.length == 0 || staged.isEmpty()) {
      return staged;
    }
    return staged.subMap(prefix, true, KeyParts.after(prefix), false);
  }

  /**
   * Each staged deletion can hide one stored entry, so reading {@code staged} more from the store
   * is enough for {@code limit} live ones.
   */
  private static int widened(int limit, int staged) {
    long wider = (long) limit + staged;
    return wider > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) wider;
  }

  /**
   * Stored and staged entries in key order, a staged one replacing a stored one of its key. The
   * store was asked for {@code asked} entries; if it gave that many, there may be more past the
   * last one, so no staged key beyond it is taken (and {@link #widened} makes sure {@code limit}
   * live entries come before it).
   */
  private static List<Entry> merge(
      List<Entry> stored, int asked, NavigableMap<byte[], byte[]> mine, int limit) {
    List<Entry> merged = new ArrayList<>(Math.min(limit, stored.size() + mine.size()));
    Iterator<Map.Entry<byte[], byte[]>> writes = mine.entrySet().iterator();
    Map.Entry<byte[], byte[]> write = writes.hasNext() ? writes.next() : null;
    boolean storeExhausted = stored.size() < asked;
    byte[] lastStored = stored.isEmpty() ? null : stored.get(stored.size() - 1).key();
    int i = 0;
    while (merged.size() < limit && (i < stored.size() || write != null)) {
      int order =
          i == stored.size()
              ? 1
              : write == null ? -1 : Arrays.compareUnsigned(stored.get(i).key(), write.getKey());
      if (order < 0) {
        merged.add(stored.get(i++));
        continue;
      }
      if (order > 0
          && !storeExhausted
          && lastStored != null
          && Arrays.compareUnsigned(write.getKey(), lastStored) > 0) {
        break;
      }
      if (write.getValue() != DELETED) {
        merged.add(new Entry(write.getKey(), write.getValue()));
      }
      if (order == 0) {
        i++;
      }
      write = writes.hasNext() ? writes.next() : null;
    }
    return merged;
  }
}
