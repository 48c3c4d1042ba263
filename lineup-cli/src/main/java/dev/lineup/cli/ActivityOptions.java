package dev.lineup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The enqueue body as options: what {@code lineup enqueue} sends and {@code lineup batch add}
 * stages. Only what is cheap to check is checked here (JSON that parses, files that exist, a type);
 * intake validates every field and its answer names what is wrong.
 */
final class ActivityOptions {

  @Option(
      names = "--body",
      paramLabel = "JSON|@FILE",
      description =
          "A whole enqueue body to start from (docs/CONTRACT.md); the options below override its"
              + " fields.")
  String body;

  @Option(
      names = "--type",
      paramLabel = "TYPE",
      description =
          "script_run, software_install, lock, wipe, mdm_command, ... (docs/CONTRACT.md).")
  String type;

  @Option(
      names = "--payload",
      paramLabel = "JSON|@FILE",
      description = "The payload, a JSON object, inline or from a file.")
  String payload;

  @Option(
      names = "--script",
      paramLabel = "FILE",
      description = "A script file sent inline as payload.script (type script_run if none given).")
  Path script;

  @Option(names = "--lane", paramLabel = "LANE", description = "default, setup or bypass.")
  String lane;

  @Option(names = "--priority", paramLabel = "N", description = "Higher goes first; default 0.")
  Integer priority;

  @Option(
      names = "--preempt",
      description = "Cancel everything upcoming on the host and go first (rule 6).")
  boolean preempt;

  @Option(
      names = "--activity-id",
      paramLabel = "UUID",
      description = "Your own id: sending the same again is a no-op.")
  String activityId;

  @Option(names = "--dedupe-key", paramLabel = "KEY")
  String dedupeKey;

  @Option(names = "--not-before", paramLabel = "RFC3339", description = "Not released before.")
  String notBefore;

  @Option(
      names = "--depends-on",
      paramLabel = "UUID",
      description = "An activity of the same host that must succeed first (repeatable).")
  List<String> dependsOn;

  @Option(names = "--timeout-ms", paramLabel = "MS", description = "The lease once released.")
  Long timeoutMs;

  @Option(names = "--max-attempts", paramLabel = "N")
  Integer maxAttempts;

  @Option(names = "--backoff-ms", paramLabel = "MS")
  Long backoffMs;

  @Option(names = "--backoff-multiplier", paramLabel = "X")
  Double backoffMultiplier;

  /** The enqueue body these options describe. */
  ObjectNode toBody() {
    ObjectNode result = body == null ? Json.object() : object(body, "--body");
    if (type != null) {
      result.put("type", type);
    }
    if (payload != null) {
      result.set("payload", object(payload, "--payload"));
    }
    if (script != null) {
      if (!result.has("type")) {
        result.put("type", "script_run");
      }
      JsonNode existing = result.get("payload");
      ObjectNode withScript = existing instanceof ObjectNode o ? o : Json.object();
      withScript.put("script", read(script, "--script"));
      result.set("payload", withScript);
    }
    if (!result.hasNonNull("type")) {
      throw CliFailure.misused("--type is required (or a \"type\" in --body)");
    }
    if (!result.has("payload")) {
      result.set("payload", Json.object());
    }
    if (lane != null) {
      result.put("lane", lane);
    }
    if (priority != null) {
      result.put("priority", priority);
    }
    if (preempt) {
      result.put("preempt", true);
    }
    if (activityId != null) {
      result.put("activity_id", activityId);
    }
    if (dedupeKey != null) {
      result.put("dedupe_key", dedupeKey);
    }
    if (notBefore != null) {
      result.put("not_before", notBefore);
    }
    if (dependsOn != null) {
      var array = result.putArray("depends_on");
      dependsOn.forEach(array::add);
    }
    if (timeoutMs != null) {
      result.put("timeout_ms", timeoutMs);
    }
    if (maxAttempts != null || backoffMs != null || backoffMultiplier != null) {
      JsonNode existing = result.get("retry");
      ObjectNode retry = existing instanceof ObjectNode o ? o : Json.object();
      if (maxAttempts != null) {
        retry.put("max_attempts", maxAttempts);
      }
      if (backoffMs != null) {
        retry.put("backoff_ms", backoffMs);
      }
      if (backoffMultiplier != null) {
        retry.put("backoff_multiplier", backoffMultiplier);
      }
      result.set("retry", retry);
    }
    return result;
  }

  /** Inline JSON or {@code @file}: a JSON object, or exit 2 naming the option. */
  static ObjectNode object(String value, String option) {
    String text = value.startsWith("@") ? read(Path.of(value.substring(1)), option) : value;
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw CliFailure.misused(
          option + " is not JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    }
    if (!(node instanceof ObjectNode object)) {
      throw CliFailure.misused(option + " must be a JSON object");
    }
    return object;
  }

  static String read(Path file, String option) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw CliFailure.misused(option + ": cannot read " + file + " (" + e.getMessage() + ")");
    }
  }
}
