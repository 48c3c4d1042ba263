package dev.lineup.schemas;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ReleasedActivity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * A {@link ReleasedActivity}'s bytes built around its activity's own, as the sequencer stored them
 * at acceptance: a release sends the activity exactly as enqueued, and decoding it only to encode
 * it again cost the sequencer's stream thread about a twentieth of its time.
 *
 * <p>Avro's binary encoding of a record is its fields' encodings one after another, and {@code
 * activity} is a released activity's first field. So the single-object bytes of a release are its
 * own header, the stored activity's body (its bytes past its header) and the encodings of {@code
 * attempt}, {@code released_at} and {@code lease_expires_at}. That holds only for an activity
 * written in the current {@link Activity} schema; one stored by an older version (another
 * fingerprint in its header) is decoded and encoded again, as before.
 */
public final class ReleasedEncoding {

  private static final int HEADER_LENGTH = SingleObjectCodec.HEADER_LENGTH;

  private static final byte[] ACTIVITY_HEADER = SingleObjectCodec.header(Activity.getClassSchema());
  private static final byte[] RELEASED_HEADER =
      SingleObjectCodec.header(ReleasedActivity.getClassSchema());
  private static final AvroSerde<Activity> ACTIVITIES = AvroSerde.of(Activity.class);
  private static final AvroSerde<ReleasedActivity> RELEASES = AvroSerde.of(ReleasedActivity.class);

  private ReleasedEncoding() {}

  /**
   * The bytes of a release of {@code activity} (an {@link Activity} in single-object encoding):
   * byte for byte what encoding the {@link ReleasedActivity} would give.
   */
  public static byte[] encode(byte[] activity, int attempt, long releasedAt, long leaseExpiresAt) {
    if (!inCurrentSchema(activity)) {
      return RELEASES.serialize(
          "a release",
          ReleasedActivity.newBuilder()
              .setActivity(ACTIVITIES.deserialize("a stored activity", activity))
              .setAttempt(attempt)
              .setReleasedAt(Instant.ofEpochMilli(releasedAt))
              .setLeaseExpiresAt(Instant.ofEpochMilli(leaseExpiresAt))
              .build());
    }
    // The body, plus at most 5 bytes for the attempt and 10 for each time.
    ByteArrayOutputStream out = new ByteArrayOutputStream(activity.length + 25);
    out.write(RELEASED_HEADER, 0, HEADER_LENGTH);
    out.write(activity, HEADER_LENGTH, activity.length - HEADER_LENGTH);
    BinaryEncoder fields = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      fields.writeInt(attempt);
      fields.writeLong(releasedAt);
      fields.writeLong(leaseExpiresAt);
      fields.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a release", e); // in memory: never thrown
    }
    return out.toByteArray();
  }

  /** Whether {@code activity} is the single-object encoding of the current {@link Activity}. */
  static boolean inCurrentSchema(byte[] activity) {
    return activity.length > HEADER_LENGTH
        && SingleObjectCodec.hasHeader(activity, ACTIVITY_HEADER);
  }
}
