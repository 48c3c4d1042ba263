package dev.lineup.sequencer.queue;

import dev.lineup.avro.Lane;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Key layouts of the queue's sorted stores. Variable-length parts are length-prefixed, so no host
 * id or activity id can forge another's prefix; numbers are big-endian with the sign bit flipped,
 * so byte order is numeric order.
 */
final class StoreKeys {

  /** Ready entries of user-initiated activities sort apart from system-initiated ones. */
  static final byte USER = 0;

  static final byte SYSTEM = 1;

  private StoreKeys() {}

  static byte[] id(String id) {
    return id.getBytes(StandardCharsets.UTF_8);
  }

  static String id(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** [len][host] */
  static byte[] host(String hostId) {
    byte[] host = id(hostId);
    return ByteBuffer.allocate(2 + host.length).putShort((short) host.length).put(host).array();
  }

  /** [len][host][lane][class]: the ready entries of one class in one lane, in rank order. */
  static byte[] readyPrefix(String hostId, Lane lane, byte initiatorClass) {
    byte[] host = host(hostId);
    return ByteBuffer.allocate(host.length + 2)
        .put(host)
        .put((byte) lane.ordinal())
        .put(initiatorClass)
        .array();
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

  /** [len][host][lane][class][rank][activity id] */
  static byte[] ready(String hostId, Lane lane, byte initiatorClass, byte[] rank, String id) {
    return concat(readyPrefix(hostId, lane, initiatorClass), rank, id(id));
  }

  /** The activity id at the end of a ready key. */
  static String readyActivityId(byte[] key, int prefixLength, int rankLength) {
    return id(Arrays.copyOfRange(key, prefixLength + rankLength, key.length));
  }

  /** [len][host][seq][activity id]: every upcoming activity of a host in acceptance order. */
  static byte[] upcoming(String hostId, long seq, String id) {
    return concat(host(hostId), ordered(seq), id(id));
  }

  /** [at][kind][activity id]: the deadline index, in time order. */
  static byte[] deadline(long at, Deadline.Kind kind, String id) {
    return concat(ordered(at), new byte[] {(byte) kind.ordinal()}, id(id));
  }

  /** Whether {@code key} parses as a deadline key. */
  static boolean isDeadline(byte[] key) {
    return key.length >= 9 && key[8] >= 0 && key[8] < Deadline.Kind.values().length;
  }

  static Deadline deadline(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key);
    long at = b.getLong() ^ Long.MIN_VALUE;
    Deadline.Kind kind = Deadline.Kind.values()[b.get()];
    return new Deadline(at, kind, id(Arrays.copyOfRange(key, 9, key.length)));
  }

  /** [len][dependency][dependent] */
  static byte[] dependent(String dependencyId, String dependentId) {
    return concat(host(dependencyId), id(dependentId));
  }

  /** [len][host][dedupe key] */
  static byte[] dedupe(String hostId, String dedupeKey) {
    return concat(host(hostId), id(dedupeKey));
  }

  /** A long whose big-endian bytes sort in numeric order. */
  static byte[] ordered(long value) {
    return ByteBuffer.allocate(8).putLong(value ^ Long.MIN_VALUE).array();
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
