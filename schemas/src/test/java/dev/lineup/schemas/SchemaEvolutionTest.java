package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.junit.jupiter.api.Test;

class SchemaEvolutionTest {

  @Test
  void everyTopicValueSchemaIsRecordedAsItsLatestReleasedVersion() {
    for (Schema current : LineupSchemas.CURRENT) {
      var kept = LineupSchemas.history(current.getName());
      assertThat(kept)
          .as("%s has no released version: run SchemaHistory", current.getName())
          .isNotEmpty();
      assertThat(kept.get(kept.size() - 1).schema())
          .as(
              "%s changed since its last released version: run SchemaHistory to record it",
              current.getName())
          .isEqualTo(current);
    }
  }

  @Test
  void everySchemaChangeCanReadWhatThePreviousVersionsWrote() {
    for (LineupSchemas.Version old : LineupSchemas.history()) {
      Schema current = LineupSchemas.current(old.schema().getFullName()).orElseThrow();
      var result = SchemaCompatibility.checkReaderWriterCompatibility(current, old.schema());
      assertThat(result.getType())
          .as(
              "current %s cannot read v%d: %s",
              old.recordName(), old.version(), result.getResult().getIncompatibilities())
          .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }
  }

  @Test
  void recordsWrittenWithEveryReleasedVersionDecodeIntoTheCurrentClassesWithoutLoss()
      throws IOException {
    for (LineupSchemas.Version old : LineupSchemas.history()) {
      Schema current = LineupSchemas.current(old.schema().getFullName()).orElseThrow();
      AvroSerde<SpecificRecord> serde = serdeFor(current);
      BinaryMessageEncoder<Object> oldWriter =
          new BinaryMessageEncoder<>(GenericData.get(), old.schema());
      Iterator<Object> samples = new RandomData(old.schema(), 25, 42L).iterator();
      while (samples.hasNext()) {
        Object written = samples.next();
        byte[] bytes = toBytes(oldWriter.encode(written));

        SpecificRecord decoded = serde.deserialize("t", bytes);
        byte[] reencoded = serde.serialize("t", decoded);

        // Read the re-encoded record back as the old version: every field the old writer
        // set must have survived the trip through the current classes.
        var reader = new GenericDatumReader<Object>(current, old.schema());
        Object back =
            reader.read(
                null,
                DecoderFactory.get()
                    .binaryDecoder(
                        reencoded,
                        LineupJsonFormatter.HEADER_LENGTH,
                        reencoded.length - LineupJsonFormatter.HEADER_LENGTH,
                        null));
        assertThat(GenericData.get().compare(written, back, old.schema()))
            .as("%s v%d record changed on the way: %s", old.recordName(), old.version(), written)
            .isZero();
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static AvroSerde<SpecificRecord> serdeFor(Schema current) {
    try {
      return AvroSerde.of((Class<SpecificRecord>) Class.forName(current.getFullName()));
    } catch (ClassNotFoundException e) {
      throw new AssertionError("no generated class for " + current.getFullName(), e);
    }
  }

  private static byte[] toBytes(ByteBuffer buffer) {
    var out = new ByteArrayOutputStream();
    out.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
    return out.toByteArray();
  }
}
