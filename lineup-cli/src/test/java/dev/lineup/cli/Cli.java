package dev.lineup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code lineup} command run in the test's JVM, as an operator's shell would run it, with its
 * own environment (never the test process's) and its output captured.
 */
final class Cli {

  private static final ObjectMapper JSON = new ObjectMapper();

  record Run(int exit, String out, String err, byte[] bytes) {
    /** The output as one JSON document. */
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + out + "\nstderr: " + err, e);
      }
    }

    /** The output as JSON lines. */
    List<JsonNode> jsonLines() {
      return out.lines()
          .filter(l -> !l.isBlank())
          .map(
              l -> {
                try {
                  return JSON.readTree(l);
                } catch (IOException e) {
                  throw new UncheckedIOException("not a JSON line: " + l, e);
                }
              })
          .toList();
    }

    /** The exit code, the output and the errors, for assertion messages. */
    String describe() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  private final Map<String, String> environment;

  Cli(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** The same, with these variables set (or removed, with a null value). */
  Cli with(String... nameValue) {
    Map<String, String> changed = new HashMap<>(environment);
    for (int i = 0; i < nameValue.length; i += 2) {
      if (nameValue[i + 1] == null) {
        changed.remove(nameValue[i]);
      } else {
        changed.put(nameValue[i], nameValue[i + 1]);
      }
    }
    return new Cli(changed);
  }

  Run run(String... args) {
    return runWithInput(new byte[0], args);
  }

  Run runWithInput(byte[] input, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        LineupCli.run(
            environment,
            new ByteArrayInputStream(input),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            args);
    return new Run(
        exit,
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8),
        out.toByteArray());
  }
}
