package dev.lineup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;

/**
 * A batch being put together on the operator's machine before one all-or-nothing {@code POST
 * /v1/batches}: {@code <home>/batches/<name>.json}, holding {@code {"name", "created_at",
 * "activities": [...], "batch_id", "submitted_at"}}. The file is rewritten whole (to a temporary
 * file, then moved over it), so an interrupted {@code add} leaves the previous state, never half a
 * file.
 */
final class BatchStage {

  /** A name is a file name: no separators, no leading dot, nothing a shell must quote. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final String name;
  private final Path file;

  private BatchStage(String name, Path file) {
    this.name = name;
    this.file = file;
  }

  static BatchStage of(Path home, String name) {
    if (!NAME.matcher(name).matches()) {
      throw CliFailure.misused(
          "a batch name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or"
              + " digit, not '"
              + name
              + "'");
    }
    return new BatchStage(name, home.resolve("batches").resolve(name + ".json"));
  }

  /** Whether a batch name could name a staged file at all (else it can only be a batch id). */
  static boolean isName(String text) {
    return NAME.matcher(text).matches();
  }

  String name() {
    return name;
  }

  Path file() {
    return file;
  }

  boolean exists() {
    return Files.exists(file);
  }

  ObjectNode create(String createdAt) {
    if (exists()) {
      throw CliFailure.refused(
          "batch " + name + " is already staged in " + file + " (lineup batch drop " + name + ")");
    }
    ObjectNode stage = Json.object();
    stage.put("name", name);
    stage.put("created_at", createdAt);
    stage.putArray("activities");
    stage.putNull("batch_id");
    stage.putNull("submitted_at");
    write(stage);
    return stage;
  }

  ObjectNode read() {
    if (!exists()) {
      throw CliFailure.refused(
          "no batch "
              + name
              + " is staged ("
              + file
              + "); start one with lineup batch new "
              + name);
    }
    try {
      JsonNode node = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (node instanceof ObjectNode stage && stage.get("activities") instanceof ArrayNode) {
        return stage;
      }
    } catch (IOException e) {
      // reported below
    }
    throw CliFailure.refused(file + " is not a staged batch (edited by hand?); fix or drop it");
  }

  void write(ObjectNode stage) {
    try {
      Files.createDirectories(file.getParent());
      Path temporary = Files.createTempFile(file.getParent(), "." + name, ".tmp");
      Files.writeString(temporary, Json.pretty(stage) + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(
            temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw CliFailure.failed("cannot write " + file + ": " + e.getMessage());
    }
  }

  void delete() {
    try {
      if (!Files.deleteIfExists(file)) {
        throw CliFailure.refused("no batch " + name + " is staged (" + file + ")");
      }
    } catch (IOException e) {
      throw CliFailure.failed("cannot delete " + file + ": " + e.getMessage());
    }
  }

  /** Staged batches in {@code home}, by name. */
  static java.util.List<BatchStage> all(Path home) {
    Path directory = home.resolve("batches");
    if (!Files.isDirectory(directory)) {
      return java.util.List.of();
    }
    try (var files = Files.list(directory)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(f -> f.endsWith(".json"))
          .map(f -> f.substring(0, f.length() - ".json".length()))
          .filter(BatchStage::isName)
          .sorted()
          .map(n -> new BatchStage(n, directory.resolve(n + ".json")))
          .toList();
    } catch (IOException e) {
      throw CliFailure.failed("cannot list " + directory + ": " + e.getMessage());
    }
  }
}
