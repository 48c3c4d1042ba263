package dev.lineup.schemas;

import java.io.IOException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro single-object encoding ({@code C3 01}, the 8-byte schema fingerprint, the body) for one
 * generated record class. Decoding resolves the writer schema through {@link LineupSchemas}, so
 * records written with any released version decode into the current class. A null value (a
 * tombstone) stays null.
 */
public final class AvroSerde<T extends SpecificRecord>
    implements Serde<T>, Serializer<T>, Deserializer<T> {

  static {
    AvroLimits.apply();
  }

  private final Class<T> type;
  private final SingleObjectCodec<T> codec;

  private AvroSerde(Class<T> type) {
    this.type = type;
    // The class's own model carries the logical-type conversions (timestamps as Instant).
    SpecificData model = SpecificData.getForClass(type);
    Schema schema = model.getSchema(type);
    this.codec = new SingleObjectCodec<>(model, schema, LineupSchemas.store());
  }

  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
    return new AvroSerde<>(type);
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    try {
      return codec.encode(data);
    } catch (IOException | AvroRuntimeException | NullPointerException e) {
      throw new SerializationException(
          "cannot encode " + type.getSimpleName() + " for " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return codec.decode(data);
    } catch (IOException | RuntimeException e) {
      // Not only Avro's own exceptions: bytes that name a union branch or enum symbol out of range
      // throw ArrayIndexOutOfBoundsException, a negative length NegativeArraySizeException, and so
      // on. Every consumer treats SerializationException as "this record is undecodable"; anything
      // else would look like a bug or an outage and make it read the record again, forever.
      throw new SerializationException(
          "cannot decode " + type.getSimpleName() + " from " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }

  @Override
  public void configure(java.util.Map<String, ?> configs, boolean isKey) {
    // Nothing to configure: the schema store is the contract itself.
  }

  @Override
  public void close() {}
}
