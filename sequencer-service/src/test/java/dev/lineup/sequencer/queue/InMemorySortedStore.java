package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A {@link SortedStore} on a TreeMap ordered like RocksDB: unsigned lexicographic bytes. */
final class InMemorySortedStore implements SortedStore {

  private final TreeMap<byte[], byte[]> map = new TreeMap<>(Arrays::compareUnsigned);

  /** A queue store as the service starts one: its sections' bounds written. */
  static InMemorySortedStore withSectionBounds() {
    InMemorySortedStore whole = new InMemorySortedStore();
    Section.writeBounds(whole);
    return whole;
  }

  int size() {
    return map.size();
  }

  @Override
  public byte[] get(byte[] key) {
    return map.get(key);
  }

  @Override
  public void put(byte[] key, byte[] value) {
    map.put(key.clone(), value.clone());
  }

  @Override
  public void delete(byte[] key) {
    map.remove(key);
  }

  @Override
  public List<Entry> scan(byte[] prefix, int limit) {
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : map.tailMap(prefix, true).entrySet()) {
      if (entries.size() >= limit || !startsWith(e.getKey(), prefix)) {
        break;
      }
      entries.add(new Entry(e.getKey(), e.getValue()));
    }
    return entries;
  }

  @Override
  public List<Entry> range(byte[] from, byte[] toExclusive, int limit) {
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : map.subMap(from, true, toExclusive, false).entrySet()) {
      if (entries.size() >= limit) {
        break;
      }
      entries.add(new Entry(e.getKey(), e.getValue()));
    }
    return entries;
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
