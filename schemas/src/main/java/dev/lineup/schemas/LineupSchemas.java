package dev.lineup.schemas;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.Command;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReleasedActivity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.SchemaStore;

/**
 * Every version of every topic value schema: the current ones (generated classes) and each released
 * one kept under {@code schemas/history/<Name>/v<N>.avsc}, listed in {@code
 * schemas/history/index.txt}. Decoders resolve a record's writer schema here by the fingerprint in
 * its single-object header, so records written by any released version stay readable.
 */
public final class LineupSchemas {

  /** The schemas of the records that travel as topic values. */
  public static final List<Schema> CURRENT =
      List.of(
          ActivityRequest.getClassSchema(),
          Command.getClassSchema(),
          ReleasedActivity.getClassSchema(),
          ActivityResult.getClassSchema(),
          LifecycleEvent.getClassSchema());

  static final String HISTORY_ROOT = "schemas/history/";
  static final String HISTORY_INDEX = HISTORY_ROOT + "index.txt";

  /** One released version of one record schema. */
  public record Version(String recordName, int version, Schema schema) {
    public long fingerprint() {
      return SchemaNormalization.parsingFingerprint64(schema);
    }
  }

  private static final List<Version> HISTORY = loadHistory();
  private static final SchemaStore.Cache STORE = buildStore();
  private static final Map<Long, Schema> BY_FINGERPRINT = indexByFingerprint();

  private LineupSchemas() {}

  /** Every released version, ordered by record name and version. */
  public static List<Version> history() {
    return HISTORY;
  }

  /** Released versions of one record, oldest first. */
  public static List<Version> history(String recordName) {
    return HISTORY.stream().filter(v -> v.recordName().equals(recordName)).toList();
  }

  /** The store single-object decoders consult for writer schemas they were not built with. */
  public static SchemaStore store() {
    return STORE;
  }

  /** The schema (current or historical) whose parsing fingerprint is {@code fingerprint}. */
  public static Optional<Schema> byFingerprint(long fingerprint) {
    return Optional.ofNullable(BY_FINGERPRINT.get(fingerprint));
  }

  /** The current schema of the record with this full name. */
  public static Optional<Schema> current(String fullName) {
    return CURRENT.stream().filter(s -> s.getFullName().equals(fullName)).findFirst();
  }

  private static List<Version> loadHistory() {
    List<Version> versions = new ArrayList<>();
    for (String entry : readResource(HISTORY_INDEX).split("\n")) {
      String path = entry.strip();
      if (path.isEmpty() || path.startsWith("#")) {
        continue;
      }
      // <RecordName>/v<N>.avsc
      int slash = path.indexOf('/');
      String recordName = path.substring(0, slash);
      int version = Integer.parseInt(path.substring(slash + 2, path.length() - ".avsc".length()));
      Schema schema = new Schema.Parser().parse(readResource(HISTORY_ROOT + path));
      versions.add(new Version(recordName, version, schema));
    }
    versions.sort(Comparator.comparing(Version::recordName).thenComparing(Version::version));
    return List.copyOf(versions);
  }

  private static SchemaStore.Cache buildStore() {
    SchemaStore.Cache cache = new SchemaStore.Cache();
    CURRENT.forEach(cache::addSchema);
    HISTORY.forEach(v -> cache.addSchema(v.schema()));
    return cache;
  }

  private static Map<Long, Schema> indexByFingerprint() {
    Map<Long, Schema> index = new HashMap<>();
    HISTORY.forEach(v -> index.put(v.fingerprint(), v.schema()));
    // Current schemas win over an identical historical copy: same fingerprint, same shape.
    CURRENT.forEach(s -> index.put(SchemaNormalization.parsingFingerprint64(s), s));
    return Map.copyOf(index);
  }

  private static String readResource(String name) {
    try (InputStream in = LineupSchemas.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("schema resource missing from the classpath: " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
