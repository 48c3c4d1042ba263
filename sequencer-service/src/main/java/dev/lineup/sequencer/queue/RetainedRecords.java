package dev.lineup.sequencer.queue;

import dev.lineup.avro.ActivityState;
import dev.lineup.schemas.Lifecycle;
import java.io.IOException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Which entries of a task's store hold an activity that has ended: its record, kept for {@code
 * finished-retention} so that a duplicate, a late result or a dependent still finds it, and read
 * again when its forget deadline comes. Every step reads the upcoming work; these are read seldom,
 * and at a steady rate they are most of the store. A store may keep them apart ({@code
 * lineup.sequencer.state-store: tiered}), so it can tell them by their bytes alone, as it must when
 * it restores them from the changelog.
 *
 * <p>An activity reaches one terminal state, and only one (the lifecycle, docs/CONTRACT.md): once
 * its record is retained, every later write of that key is retained too, until the key is deleted.
 */
public final class RetainedRecords {

  /** Every key of a retained entry starts with this byte: the activities section's tag. */
  public static final byte KEY_TAG = Section.ACTIVITIES.tag();

  /** The single-object header before a record's fields: two marker bytes, an 8-byte fingerprint. */
  private static final int HEADER = 10;

  /** Fields before the state, in every released version of the record: id, host, type, lane. */
  private static final int STRINGS_BEFORE_STATE = 4;

  private RetainedRecords() {}

  /**
   * Whether an entry of the whole store ({@code storeKey} with its section's tag) is a record of an
   * activity that has ended. A section's bounds and anything that does not parse are not.
   */
  public static boolean isRetained(byte[] storeKey, byte[] value) {
    if (storeKey.length < 2 || storeKey[0] != KEY_TAG || value == null || value.length <= HEADER) {
      return false;
    }
    if (value[0] != (byte) 0xC3 || value[1] != 0x01) {
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
}
