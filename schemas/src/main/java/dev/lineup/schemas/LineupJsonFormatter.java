package dev.lineup.schemas;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.MessageFormatter;
import org.apache.kafka.common.header.Header;

/**
 * Lets the standard Kafka CLI print any Lineup topic as JSON:
 *
 * <pre>
 * kafka-console-consumer --bootstrap-server localhost:9092 --topic lineup.events \
 *   --formatter dev.lineup.schemas.LineupJsonFormatter --formatter-property print.key=true
 * </pre>
 *
 * Values that are not Lineup single-object records (dead letters, foreign bytes) print as base64,
 * with their headers, instead of stopping the consumer.
 */
public class LineupJsonFormatter implements MessageFormatter {

  static final int HEADER_LENGTH = 10;
  private static final byte V1_MAGIC_0 = (byte) 0xC3;
  private static final byte V1_MAGIC_1 = (byte) 0x01;

  private boolean printKey;
  private boolean printHeaders;

  @Override
  public void configure(Map<String, ?> configs) {
    printKey = Boolean.parseBoolean(String.valueOf(configs.get("print.key")));
    printHeaders = Boolean.parseBoolean(String.valueOf(configs.get("print.headers")));
  }

  @Override
  public void writeTo(ConsumerRecord<byte[], byte[]> record, PrintStream output) {
    if (printKey) {
      output.print(
          record.key() == null ? "null" : new String(record.key(), StandardCharsets.UTF_8));
      output.print('\t');
    }
    if (printHeaders) {
      StringBuilder headers = new StringBuilder("{");
      for (Header header : record.headers()) {
        if (headers.length() > 1) {
          headers.append(", ");
        }
        headers
            .append('"')
            .append(header.key())
            .append("\": \"")
            .append(
                header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8))
            .append('"');
      }
      output.print(headers.append("}\t"));
    }
    output.println(toJson(record.value()));
  }

  /** The record as JSON, resolved to the current schema of its record type. */
  public static String toJson(byte[] value) {
    if (value == null) {
      return "null";
    }
    Optional<Schema> writer = writerSchema(value);
    if (writer.isEmpty()) {
      return "{\"undecodable\": \"" + Base64.getEncoder().encodeToString(value) + "\"}";
    }
    Schema reader = LineupSchemas.current(writer.get().getFullName()).orElse(writer.get());
    try {
      BinaryDecoder decoder =
          DecoderFactory.get()
              .binaryDecoder(value, HEADER_LENGTH, value.length - HEADER_LENGTH, null);
      Object datum = new GenericDatumReader<>(writer.get(), reader).read(null, decoder);
      return GenericData.get().toString(datum);
    } catch (Exception e) {
      return "{\"undecodable\": \""
          + Base64.getEncoder().encodeToString(value)
          + "\", \"error\": \""
          + String.valueOf(e.getMessage()).replace("\"", "'")
          + "\"}";
    }
  }

  private static Optional<Schema> writerSchema(byte[] value) {
    if (value.length < HEADER_LENGTH || value[0] != V1_MAGIC_0 || value[1] != V1_MAGIC_1) {
      return Optional.empty();
    }
    long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return LineupSchemas.byFingerprint(fingerprint);
  }
}
