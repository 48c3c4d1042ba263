package dev.lineup.schemas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Records a release of the contract: for every topic value schema that differs from its latest kept
 * version, writes the next {@code v<N>.avsc} and lists it in the index. Run it when a schema change
 * is released; {@code SchemaEvolutionTest} fails until it has been run, and fails for good if the
 * change cannot read what the previous version wrote.
 *
 * <pre>mvn -q -pl schemas compile exec:java -Dexec.mainClass=dev.lineup.schemas.SchemaHistory</pre>
 */
public final class SchemaHistory {

  private SchemaHistory() {}

  public static void main(String[] args) throws IOException {
    Path root =
        Path.of(args.length > 0 ? args[0] : "src/main/resources/" + LineupSchemas.HISTORY_ROOT);
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("no schema history folder at " + root.toAbsolutePath());
    }
    for (Schema current : LineupSchemas.CURRENT) {
      List<LineupSchemas.Version> kept = LineupSchemas.history(current.getName());
      if (!kept.isEmpty() && kept.get(kept.size() - 1).schema().equals(current)) {
        continue;
      }
      int next = kept.isEmpty() ? 1 : kept.get(kept.size() - 1).version() + 1;
      String entry = current.getName() + "/v" + next + ".avsc";
      Path file = root.resolve(entry);
      Files.createDirectories(file.getParent());
      Files.writeString(file, current.toString(true) + "\n", StandardCharsets.UTF_8);
      Files.writeString(
          root.resolve("index.txt"),
          entry + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
      System.out.println("recorded " + entry);
    }
  }
}
