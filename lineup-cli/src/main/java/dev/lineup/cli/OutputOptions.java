package dev.lineup.cli;

import picocli.CommandLine.Option;

/** {@code --json}: the service's JSON as it came, for scripts, instead of a table for people. */
final class OutputOptions {

  @Option(
      names = "--json",
      description =
          "Print the service's JSON (one object per line for streams) instead of a table.")
  boolean json;
}
