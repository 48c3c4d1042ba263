package dev.lineup.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;

/**
 * Avro's single-object encoding ({@code C3 01}, the writer schema's 8-byte parsing fingerprint,
 * then the binary body) for one record class, byte for byte what Avro's {@code
 * BinaryMessageEncoder} writes and {@code BinaryMessageDecoder} reads, refusing what they refuse.
 *
 * <p>Avro's message classes read and write through a stream one byte at a time (each a synchronized
 * {@code ByteArrayOutputStream.write} or {@code ByteArrayInputStream.read}) and copy the bytes
 * twice on the way out. Every record on every topic and in the sequencer's store passes here, so
 * this one buffers: a body is encoded into a buffer the thread keeps and copied out once, and
 * decoded straight from the array. docs/BENCHMARKS.md, finding 45.
 */
public final class SingleObjectCodec<T> {

  /** Avro's single-object marker and format version, then the schema's 8-byte fingerprint. */
  static final int HEADER_LENGTH = 10;

  /** A thread's buffer grown past this by one large record is dropped, not kept for the next. */
  private static final int KEPT_BUFFER_BYTES = 64 * 1024;

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private final GenericData model;
  private final Schema schema;
  private final SchemaStore store;
  private final byte[] header;
  private final DatumWriter<T> writer;
  private final long fingerprint;
  private final DatumReader<T> reader;

  /** Readers of records written in older schemas, by their writer's fingerprint. */
  private final Map<Long, DatumReader<T>> olderReaders = new ConcurrentHashMap<>();

  /**
   * Encodes in {@code schema}; decodes records written in it or in any schema {@code store} finds
   * by fingerprint, resolved into {@code schema} with {@code model}'s classes and conversions.
   */
  public SingleObjectCodec(GenericData model, Schema schema, SchemaStore store) {
    this.model = model;
    this.schema = schema;
    this.store = store;
    this.header = header(schema);
    @SuppressWarnings("unchecked")
    DatumWriter<T> w = (DatumWriter<T>) model.createDatumWriter(schema);
    this.writer = w;
    this.fingerprint = fingerprint(header);
    this.reader = reader(schema);
  }

  /** The single-object header of {@code schema}. */
  static byte[] header(Schema schema) {
    byte[] header = new byte[HEADER_LENGTH];
    header[0] = (byte) 0xC3;
    header[1] = (byte) 0x01;
    long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    for (int i = 0; i < 8; i++) {
      header[2 + i] = (byte) (fingerprint >>> (8 * i)); // little-endian, as Avro writes it
    }
    return header;
  }

  /** The bytes of {@code datum}. */
  public byte[] encode(T datum) throws IOException {
    Scratch scratch = SCRATCH.get();
    Buffer out = scratch.buffer;
    out.reset();
    out.write(header, 0, HEADER_LENGTH);
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, scratch.encoder);
    // Forgotten until the write succeeds: a write that threw may leave bytes in the encoder's
    // buffer, which reusing it would flush into the next record.
    scratch.encoder = null;
    writer.write(datum, encoder);
    encoder.flush();
    scratch.encoder = encoder;
    byte[] bytes = out.toByteArray();
    if (out.capacity() > KEPT_BUFFER_BYTES) {
      scratch.buffer = new Buffer();
    }
    return bytes;
  }

  /** The record in {@code bytes}, in this codec's schema whichever schema wrote it. */
  public T decode(byte[] bytes) throws IOException {
    if (bytes.length < HEADER_LENGTH) {
      throw new BadHeaderException("Not enough header bytes");
    }
    if (bytes[0] != header[0] || bytes[1] != header[1]) {
      throw new BadHeaderException(
          String.format("Unrecognized header bytes: 0x%02X 0x%02X", bytes[0], bytes[1]));
    }
    DatumReader<T> reader = readerFor(fingerprint(bytes));
    Scratch scratch = SCRATCH.get();
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, scratch.decoder);
    scratch.decoder = decoder;
    return reader.read(null, decoder);
  }

  private DatumReader<T> readerFor(long fingerprint) {
    if (fingerprint == this.fingerprint) {
      return reader;
    }
    DatumReader<T> known = olderReaders.get(fingerprint);
    if (known != null) {
      return known;
    }
    Schema writerSchema = store.findByFingerprint(fingerprint);
    if (writerSchema == null) {
      throw new MissingSchemaException("Cannot resolve schema for fingerprint: " + fingerprint);
    }
    return olderReaders.computeIfAbsent(fingerprint, f -> reader(writerSchema));
  }

  @SuppressWarnings("unchecked")
  private DatumReader<T> reader(Schema writerSchema) {
    return (DatumReader<T>) model.createDatumReader(writerSchema, schema);
  }

  private static long fingerprint(byte[] bytes) {
    long fingerprint = 0;
    for (int i = 7; i >= 0; i--) {
      fingerprint = (fingerprint << 8) | (bytes[2 + i] & 0xFFL);
    }
    return fingerprint;
  }

  /** Whether {@code bytes} begin with {@code header}. */
  static boolean hasHeader(byte[] bytes, byte[] header) {
    return bytes.length >= HEADER_LENGTH
        && Arrays.equals(bytes, 0, HEADER_LENGTH, header, 0, HEADER_LENGTH);
  }

  /** What a thread reuses from one record to the next. */
  private static final class Scratch {
    Buffer buffer = new Buffer();
    BinaryEncoder encoder;
    BinaryDecoder decoder;
  }

  private static final class Buffer extends ByteArrayOutputStream {
    Buffer() {
      super(1024);
    }

    int capacity() {
      return buf.length;
    }
  }
}
