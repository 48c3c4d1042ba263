package dev.lineup.sequencer.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A section keyed by a group, then a member of it: {@code [len][group][member]}. The released index
 * (host, then each of its released bypass activities), the dependents (a dependency, then each
 * activity waiting for it) and the dedupe keys (host, then each key held, its value the holder).
 */
final class GroupedKeys {

  private static final byte[] PRESENT = new byte[0];

  /** Where {@link #forEachMember} starts: before every key. */
  static final byte[] START = new byte[0];

  /** After every key: a group's length takes two bytes, and no UTF-8 id holds 0xFF. */
  private static final byte[] END = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF};

  private final SortedStore section;

  GroupedKeys(SortedStore section) {
    this.section = section;
  }

  void add(String group, String member) {
    section.put(key(group, member), PRESENT);
  }

  /** A member with a value, one the group does not have ({@link SortedStore#insert}). */
  void insert(String group, String member, String value) {
    section.insert(key(group, member), KeyParts.id(value));
  }

  /** The value stored under a member, or null if the member is not there. */
  String get(String group, String member) {
    byte[] value = section.get(key(group, member));
    return value == null ? null : KeyParts.id(value);
  }

  void remove(String group, String member) {
    section.delete(key(group, member));
  }

  /** The members of a group, in key order. */
  List<String> members(String group) {
    return read(group, false);
  }

  /** Removes and answers the members of a group. */
  List<String> take(String group) {
    return read(group, true);
  }

  /**
   * Up to {@code limit} (group, member) pairs of the section, in key order, from the key {@code
   * from} on ({@link #START} for the first); {@code action} may remove the member it is given.
   * Answers where the next call goes on from, or null once the section has no more.
   */
  byte[] forEachMember(byte[] from, int limit, BiConsumer<String, String> action) {
    List<SortedStore.Entry> page = section.range(from, END, limit);
    for (SortedStore.Entry e : page) {
      int groupEnd = KeyParts.lengthPrefixedLength(e.key());
      action.accept(
          KeyParts.id(e.key(), 2, groupEnd), KeyParts.id(e.key(), groupEnd, e.key().length));
    }
    if (page.size() < limit) {
      return null;
    }
    byte[] last = page.get(page.size() - 1).key();
    return Arrays.copyOf(last, last.length + 1); // the first key after it
  }

  private List<String> read(String group, boolean remove) {
    byte[] prefix = KeyParts.lengthPrefixed(group);
    List<String> members = new ArrayList<>();
    for (SortedStore.Entry e : section.scan(prefix, Integer.MAX_VALUE)) {
      members.add(KeyParts.id(e.key(), prefix.length, e.key().length));
      if (remove) {
        section.delete(e.key());
      }
    }
    return members;
  }

  private static byte[] key(String group, String member) {
    return KeyParts.concat(KeyParts.lengthPrefixed(group), KeyParts.id(member));
  }
}
