package dev.lineup.sequencer.queue;

import dev.lineup.schemas.SingleObjectCodec;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;

/**
 * The bytes of the sequencer's own state records. They live in changelogged stores, so a store
 * written by an earlier release is restored into this one: every released version of a record's
 * schema is kept under {@code state-history/<Record>/v<N>.avsc}, and decoding resolves the writer
 * schema by the fingerprint in the record's single-object header.
 */
final class StateCodec {

  /** Every released version of a state record schema, as {@code <Record>/v<N>}. */
  static final List<String> HISTORY =
      List.of(
          "HostRecord/v1",
          "ActivityRecord/v1",
          "HostRecord/v2",
          "ActivityRecord/v2",
          "ActivityRecord/v3",
          "HostRecord/v3",
          "ActivityRecord/v4",
          "ActivityRecord/v5");

  private static final SchemaStore.Cache RELEASED = released();

  /**
   * The state records' model, with Avro's generated coders on: a record is written by its generated
   * {@code customEncode}, not by a writer walking its schema field by field, for every store write
   * (docs/BENCHMARKS.md, finding 50). The bytes are the same. Reads are unchanged: Avro's fast
   * reader, which resolves older versions, still reads them. Avro generates these coders only for
   * records without logical types, as the state records are; only this model turns them on.
   */
  static final SpecificData MODEL = generatedCoders();

  private static final SingleObjectCodec<HostRecord> HOSTS =
      new SingleObjectCodec<>(MODEL, HostRecord.getClassSchema(), RELEASED);
  private static final SingleObjectCodec<ActivityRecord> ACTIVITIES =
      new SingleObjectCodec<>(MODEL, ActivityRecord.getClassSchema(), RELEASED);

  private static SpecificData generatedCoders() {
    SpecificData model = new SpecificData(StateCodec.class.getClassLoader());
    model.setCustomCoders(true);
    return model;
  }

  private StateCodec() {}

  static HostRecord host(byte[] bytes) {
    try {
      return HOSTS.decode(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt host record", e);
    }
  }

  static ActivityRecord activity(byte[] bytes) {
    try {
      return ACTIVITIES.decode(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("corrupt activity record", e);
    }
  }

  static byte[] encode(HostRecord host) {
    try {
      return HOSTS.encode(host);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a host record", e); // in memory: never thrown
    }
  }

  static byte[] encode(ActivityRecord activity) {
    try {
      return ACTIVITIES.encode(activity);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode an activity record", e); // never thrown
    }
  }

  /** A released schema of the history, by its {@code <Record>/v<N>} name. */
  static Schema released(String version) {
    String resource = "state-history/" + version + ".avsc";
    try (InputStream in = StateCodec.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("state schema missing from the classpath: " + resource);
      }
      return new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SchemaStore.Cache released() {
    SchemaStore.Cache cache = new SchemaStore.Cache();
    HISTORY.forEach(version -> cache.addSchema(released(version)));
    return cache;
  }
}
