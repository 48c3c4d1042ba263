package dev.lineup.sequencer.queue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The parts the queue's keys are made of. Variable-length parts are length-prefixed, so no host id
 * or activity id can forge another's prefix; numbers are big-endian with the sign bit flipped, so
 * byte order is numeric order. Each section's layout is owned by the one class that reads and
 * writes it ({@link ReadyIndex}, {@link UpcomingIndex}, {@link GroupedKeys}, {@link Deadline},
 * {@link BudgetWaits}, {@link PendingCancellations}).
 */
final class KeyParts {

  private KeyParts() {}

  static byte[] id(String id) {
    return id.getBytes(StandardCharsets.UTF_8);
  }

  static String id(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static String id(byte[] bytes, int from, int to) {
    return new String(bytes, from, to - from, StandardCharsets.UTF_8);
  }

  /** [len][id]: an id that a key goes on after. */
  static byte[] lengthPrefixed(String id) {
    byte[] bytes = id(id);
    return ByteBuffer.allocate(2 + bytes.length).putShort((short) bytes.length).put(bytes).array();
  }

  /** The length of the length-prefixed id that starts {@code key}, its prefix included. */
  static int lengthPrefixedLength(byte[] key) {
    return 2 + (ByteBuffer.wrap(key).getShort() & 0xFFFF);
  }

  /** The first key after every key that starts with {@code prefix}. */
  static byte[] after(byte[] prefix) {
    byte[] end = Arrays.copyOf(prefix, prefix.length);
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    throw new IllegalArgumentException("no key follows a prefix of 0xFF bytes only");
  }

  /** A long whose big-endian bytes sort in numeric order. */
  static byte[] ordered(long value) {
    return ByteBuffer.allocate(8).putLong(value ^ Long.MIN_VALUE).array();
  }

  /** The long {@link #ordered} wrote at {@code offset}. */
  static long ordered(byte[] key, int offset) {
    return ByteBuffer.wrap(key, offset, 8).getLong() ^ Long.MIN_VALUE;
  }

  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    ByteBuffer buffer = ByteBuffer.allocate(length);
    for (byte[] part : parts) {
      buffer.put(part);
    }
    return buffer.array();
  }
}
