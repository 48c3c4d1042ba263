package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One section of a shared {@link SortedStore}: every key is stored behind the section's one-byte
 * tag, and every read stays within it, so several logical stores live in one physical store (one
 * RocksDB instance and one changelog per task instead of one each) and still never see each other's
 * keys.
 */
final class SectionedStore implements SortedStore {

  private final SortedStore whole;
  private final byte[] tag;

  SectionedStore(SortedStore whole, byte tag) {
    this.whole = whole;
    this.tag = new byte[] {tag};
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
  public void delete(byte[] key) {
    whole.delete(inSection(key));
  }

  @Override
  public List<Entry> scan(byte[] prefix, int limit) {
    return outOfSection(whole.scan(inSection(prefix), limit));
  }

  @Override
  public List<Entry> range(byte[] from, byte[] toExclusive, int limit) {
    return outOfSection(whole.range(inSection(from), inSection(toExclusive), limit));
  }

  private byte[] inSection(byte[] key) {
    byte[] tagged = new byte[key.length + 1];
    tagged[0] = tag[0];
    System.arraycopy(key, 0, tagged, 1, key.length);
    return tagged;
  }

  private static List<Entry> outOfSection(List<Entry> entries) {
    List<Entry> untagged = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      untagged.add(new Entry(Arrays.copyOfRange(e.key(), 1, e.key().length), e.value()));
    }
    return untagged;
  }
}
