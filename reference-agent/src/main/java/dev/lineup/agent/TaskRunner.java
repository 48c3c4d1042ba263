package dev.lineup.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs one task on this machine: scripts for real (sh, bash, zsh, python) in a work directory under
 * a timeout, heartbeating while they run; software installs and uninstalls are simulated (this is a
 * reference agent, not an installer). What it did is reported with the exit code and output.
 */
public final class TaskRunner {

  /** What a run came to. */
  public record Outcome(boolean succeeded, Integer exitCode, String output) {}

  private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
  private static final int MAX_OUTPUT_BYTES = 128 * 1024;

  private final GatewayClient gateway;
  private final Path workDir;
  private final Duration heartbeatEvery;

  public TaskRunner(GatewayClient gateway, Path workDir, Duration heartbeatEvery) {
    this.gateway = gateway;
    this.workDir = workDir;
    this.heartbeatEvery = heartbeatEvery;
  }

  public Outcome run(JsonNode task) throws IOException, InterruptedException {
    String type = task.get("type").asText();
    JsonNode payload = task.get("payload");
    return switch (type) {
      case "script_run" -> script(task, payload);
      case "software_install" ->
          new Outcome(
              true,
              0,
              "simulated install of "
                  + payload.path("installer_id").asText()
                  + " "
                  + payload.path("version").asText());
      case "software_uninstall" ->
          new Outcome(true, 0, "simulated uninstall of " + payload.path("installer_id").asText());
      default -> new Outcome(true, 0, "simulated " + type);
    };
  }

  private Outcome script(JsonNode task, JsonNode payload) throws IOException, InterruptedException {
    byte[] body = gateway.content(task, payload.get("script_sha256").asText());
    Path dir = Files.createDirectories(workDir.resolve(task.get("activity_id").asText()));
    Path script = dir.resolve("script");
    Files.write(script, body);
    String interpreter = payload.path("interpreter").asText("sh").toLowerCase(Locale.ROOT);
    List<String> command =
        switch (interpreter) {
          case "bash" -> List.of("bash", script.toString());
          case "zsh" -> List.of("zsh", script.toString());
          case "python" -> List.of("python3", script.toString());
          default -> List.of("sh", script.toString());
        };
    Duration timeout =
        payload.hasNonNull("timeout_seconds")
            ? Duration.ofSeconds(payload.get("timeout_seconds").asLong())
            : DEFAULT_TIMEOUT;
    Path output = dir.resolve("output");
    Process process =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
    heartbeats.scheduleAtFixedRate(
        () -> {
          try {
            if (!gateway.heartbeat(task)) {
              // The task was cancelled or expired: stop working on it.
              process.destroyForcibly();
            }
          } catch (IOException | InterruptedException e) {
            // A missed heartbeat is survivable; the lease has slack.
          }
        },
        heartbeatEvery.toMillis(),
        heartbeatEvery.toMillis(),
        TimeUnit.MILLISECONDS);
    try {
      boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!finished) {
        process.destroyForcibly().waitFor();
        return new Outcome(
            false, null, read(output) + "\n[timed out after " + timeout.toSeconds() + " s]");
      }
      int exit = process.exitValue();
      return new Outcome(exit == 0, exit, read(output));
    } finally {
      heartbeats.shutdownNow();
    }
  }

  /**
   * The start of what the task printed, decoded leniently: a script may print any bytes, and a
   * report must still go out. Cut well below the gateway's request limit (1 MB by default), even
   * after JSON escapes a control character as six bytes; the gateway cuts further to its own limit.
   */
  private static String read(Path output) throws IOException {
    if (!Files.exists(output)) {
      return "";
    }
    byte[] head;
    boolean cut;
    try (var in = Files.newInputStream(output)) {
      head = in.readNBytes(MAX_OUTPUT_BYTES);
      cut = in.read() >= 0;
    }
    // new String(...) replaces malformed input; Files.readString would throw on it.
    String text = new String(head, StandardCharsets.UTF_8);
    return cut ? text + "\n[truncated]" : text;
  }
}
