package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ResultKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.util.RandomData;
import org.junit.jupiter.api.Test;

/**
 * {@link SingleObjectCodec} against Avro's own message encoder and decoder, which it replaces: the
 * same bytes for every record, the same record back, and a failure wherever Avro fails.
 */
class SingleObjectCodecTest {

  private static final int RECORDS_PER_SCHEMA = 300;

  @Test
  void everyTopicRecordIsEncodedAndDecodedAsAvroDoes() throws IOException {
    for (Schema schema : LineupSchemas.CURRENT) {
      SingleObjectCodec<Object> codec = generic(schema);
      BinaryMessageEncoder<Object> avro = new BinaryMessageEncoder<>(GenericData.get(), schema);
      for (Object record : new RandomData(GenericData.get(), schema, RECORDS_PER_SCHEMA, 45L)) {
        byte[] expected = bytes(avro.encode(record));

        assertThat(codec.encode(record)).as("%s: %s", schema.getName(), record).isEqualTo(expected);
        assertThat(codec.decode(expected)).isEqualTo(record);
      }
    }
  }

  @Test
  void aTruncatedRecordFailsWhereverAvroFails() throws IOException {
    for (Schema schema : LineupSchemas.CURRENT) {
      SingleObjectCodec<Object> codec = generic(schema);
      BinaryMessageDecoder<Object> avro = new BinaryMessageDecoder<>(GenericData.get(), schema);
      for (Object record : new RandomData(GenericData.get(), schema, 30, 46L)) {
        byte[] whole = codec.encode(record);
        for (int length = 0; length < whole.length; length++) {
          byte[] truncated = java.util.Arrays.copyOf(whole, length);
          Object avroAnswer = answer(() -> avro.decode(truncated));
          Object ours = answer(() -> codec.decode(truncated));
          assertThat(ours instanceof Exception)
              .as(
                  "%s cut to %d of %d bytes: Avro %s, here %s",
                  schema, length, whole.length, avroAnswer, ours)
              .isEqualTo(avroAnswer instanceof Exception);
          if (!(ours instanceof Exception)) {
            assertThat(ours).isEqualTo(avroAnswer);
          }
        }
      }
    }
  }

  @Test
  void aRecordLargerThanTheEncodersBufferComesOutWhole() throws IOException {
    ActivityResult large = result("\u00e9\u6f22 output line\n".repeat(20_000));
    var model = SpecificData.getForClass(ActivityResult.class);
    var codec =
        new SingleObjectCodec<ActivityResult>(
            model, ActivityResult.getClassSchema(), LineupSchemas.store());

    byte[] bytes = codec.encode(large);

    assertThat(bytes.length).isGreaterThan(300_000);
    assertThat(bytes)
        .isEqualTo(
            bytes(
                new BinaryMessageEncoder<>(model, ActivityResult.getClassSchema()).encode(large)));
    assertThat(codec.decode(bytes)).isEqualTo(large);
    // And the next, small one on the same thread carries nothing of it.
    ActivityResult small = result("ok");
    assertThat(codec.decode(codec.encode(small))).isEqualTo(small);
  }

  @Test
  void anEncodingThatFailedHalfWayLeavesNothingForTheNext() throws IOException {
    var model = SpecificData.getForClass(ActivityResult.class);
    var codec =
        new SingleObjectCodec<ActivityResult>(
            model, ActivityResult.getClassSchema(), LineupSchemas.store());
    ActivityResult broken = result("x");
    // A required field written after the ids: the encoder holds their bytes when it fails.
    broken.setKind(null);

    assertThatThrownBy(() -> codec.encode(broken)).isInstanceOf(AvroRuntimeException.class);

    ActivityResult next = result("next");
    assertThat(codec.encode(next))
        .isEqualTo(
            bytes(new BinaryMessageEncoder<>(model, ActivityResult.getClassSchema()).encode(next)));
  }

  @Test
  void aRecordInAnOlderSchemaIsReadIntoTheCurrentOne() throws IOException {
    for (LineupSchemas.Version version : LineupSchemas.history()) {
      Schema current = LineupSchemas.current(version.schema().getFullName()).orElseThrow();
      BinaryMessageDecoder<Object> avro =
          new BinaryMessageDecoder<>(GenericData.get(), current, LineupSchemas.store());
      SingleObjectCodec<Object> codec =
          new SingleObjectCodec<>(GenericData.get(), current, LineupSchemas.store());
      BinaryMessageEncoder<Object> old =
          new BinaryMessageEncoder<>(GenericData.get(), version.schema());
      for (Object record : new RandomData(GenericData.get(), version.schema(), 20, 47L)) {
        byte[] bytes = bytes(old.encode(record));

        assertThat(codec.decode(bytes))
            .as("%s v%d", version.recordName(), version.version())
            .isEqualTo(avro.decode(bytes));
      }
    }
  }

  @Test
  void bytesOfNoKnownSchemaOrWithoutTheMarkerAreRefused() throws IOException {
    Schema schema = LineupSchemas.CURRENT.get(0);
    SingleObjectCodec<Object> codec = generic(schema);
    byte[] bytes =
        codec.encode(new RandomData(GenericData.get(), schema, 1, 48L).iterator().next());

    byte[] unknown = bytes.clone();
    unknown[5] ^= 0x5a;
    assertThatThrownBy(() -> codec.decode(unknown))
        .isInstanceOf(MissingSchemaException.class)
        .hasMessageContaining("Cannot resolve schema for fingerprint");

    byte[] unmarked = bytes.clone();
    unmarked[0] = 'n';
    assertThatThrownBy(() -> codec.decode(unmarked)).isInstanceOf(BadHeaderException.class);
    assertThatThrownBy(() -> codec.decode(new byte[] {(byte) 0xC3, 0x01, 7}))
        .isInstanceOf(BadHeaderException.class);
  }

  @Test
  void threadsEncodingAtOnceEachGetTheirOwnBytes() throws Exception {
    Schema schema = LineupSchemas.CURRENT.get(1);
    SingleObjectCodec<Object> codec = generic(schema);
    BinaryMessageEncoder<Object> avro = new BinaryMessageEncoder<>(GenericData.get(), schema);
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        long seed = 100 + t;
        done.add(
            threads.submit(
                () -> {
                  int checked = 0;
                  for (Object record : new RandomData(GenericData.get(), schema, 2_000, seed)) {
                    byte[] mine = codec.encode(record);
                    assertThat(mine).isEqualTo(bytes(avro.encode(record)));
                    assertThat(codec.decode(mine)).isEqualTo(record);
                    checked++;
                  }
                  return checked;
                }));
      }
      for (Future<Integer> f : done) {
        assertThat(f.get()).isEqualTo(2_000);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static SingleObjectCodec<Object> generic(Schema schema) {
    return new SingleObjectCodec<>(GenericData.get(), schema, LineupSchemas.store());
  }

  private static ActivityResult result(String output) {
    return ActivityResult.newBuilder()
        .setResultId("r-1")
        .setActivityId("a-1")
        .setHostId("h-1")
        .setAttempt(1)
        .setKind(ResultKind.SUCCEEDED)
        .setOutput(output)
        .setOccurredAt(Instant.parse("2026-12-05T10:00:00Z"))
        .build();
  }

  private interface Decoding {
    Object decode() throws Exception;
  }

  private static Object answer(Decoding decoding) {
    try {
      return decoding.decode();
    } catch (Exception e) {
      return e;
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
