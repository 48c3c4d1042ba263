package dev.lineup.sequencer.queue;

import dev.lineup.avro.ActivityState;
import dev.lineup.schemas.Lifecycle;
import java.io.IOException;
import java.util.Arrays;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Which entries of a task's store an activity that has ended leaves for {@code finished-retention}:
 * its record, so that a duplicate, a late result or a dependent still finds it, and its forget
 * deadline, which ends the retention. Every step reads the upcoming work; these are read seldom,
 * and at a steady rate they are most of the store. A store may keep them apart ({@code
 * lineup.sequencer.state-store: tiered}), so they are told apart by their bytes alone, as a store
 * must when it restores them from the changelog.
 *
 * <p>An activity reaches one terminal state, and only one (the lifecycle, docs/CONTRACT.md): once
 * its record is retained, every later write of that key is retained too, until the key is deleted.
 * A forget deadline is retained from its first write.
 */
public final class RetainedRecords {

  private static final byte ACTIVITIES = Section.ACTIVITIES.tag();
  private static final byte DEADLINES = Section.DEADLINES.tag();

  /** Where a deadline's kind is in a key of the whole store: after the section's tag and time. */
  private static final int DEADLINE_KIND_AT = 1 + Deadline.KIND_AT;

  private static final byte FORGET = (byte) Deadline.Kind.FORGET.ordinal();

  /** The single-object header before a record's fields: two marker bytes, an 8-byte fingerprint. */
  private static final int HEADER = 10;

  /** Fields before the state, in every released version of the record: id, host, type, lane. */
  private static final int STRINGS_BEFORE_STATE = 4;

  private RetainedRecords() {}

  /**
   * Whether an entry under {@code storeKey} (a key of the whole store, its section's tag first) may
   * be retained: an activity's record, or a forget deadline. Any other key never is.
   */
  public static boolean mayBeRetained(byte[] storeKey) {
    if (storeKey.length < 2) {
      return false; // a section's first bound
    }
    if (storeKey[0] == ACTIVITIES) {
      return true;
    }
    return storeKey[0] == DEADLINES
        && storeKey.length > DEADLINE_KIND_AT
        && storeKey[DEADLINE_KIND_AT] == FORGET;
  }

  /**
   * Whether an entry of the whole store is retained: a record of an activity that has ended, or a
   * forget deadline. A section's bounds and a record that does not parse are not.
   */
  public static boolean isRetained(byte[] storeKey, byte[] value) {
    if (!mayBeRetained(storeKey) || value == null) {
      return false;
    }
    if (storeKey[0] == DEADLINES) {
      return true;
    }
    if (value.length <= HEADER || value[0] != (byte) 0xC3 || value[1] != 0x01) {
      return false;
    }
    try {
      BinaryDecoder fields =
          DecoderFactory.get().binaryDecoder(value, HEADER, value.length - HEADER, null);
      for (int i = 0; i < STRINGS_BEFORE_STATE; i++) {
        fields.skipString();
      }
      return Lifecycle.isTerminal(ActivityState.valueOf(fields.readString()));
    } catch (IOException | RuntimeException e) {
      return false; // not a record this version reads: kept with the upcoming work, where all is
    }
  }

  /**
   * Whether the keys from {@code from} to {@code to} of the whole store (both included; null: no
   * bound) may include a retained entry's: whether they reach into the activities or the deadlines
   * section.
   */
  public static boolean mayHoldRetained(byte[] from, byte[] to) {
    return reaches(from, to, ACTIVITIES) || reaches(from, to, DEADLINES);
  }

  private static boolean reaches(byte[] from, byte[] to, byte tag) {
    boolean startsBelowItsEnd =
        from == null || from.length == 0 || Byte.compareUnsigned(from[0], tag) <= 0;
    boolean endsAboveItsStart = to == null || Arrays.compareUnsigned(to, new byte[] {tag}) >= 0;
    return startsBelowItsEnd && endsAboveItsStart;
  }
}
