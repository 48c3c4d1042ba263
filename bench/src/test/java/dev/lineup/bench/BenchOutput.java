package dev.lineup.bench;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** A bench run from the command line, as a user starts it, with what it printed. */
record BenchOutput(int exit, String out) {

  /** Runs the bench with these arguments; its output is also echoed to the test's own. */
  static BenchOutput run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try (PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      System.setOut(tee);
      exit = new CommandLine(new Bench()).execute(args);
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    original.print(out);
    return new BenchOutput(exit, out);
  }
}
