package dev.lineup.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code lineup}: the operator's command. Every option that names a place or a secret also reads an
 * environment variable, so the same image runs as a Kubernetes Job or a compose service without
 * arguments beyond the command itself.
 */
@Command(
    name = "lineup",
    mixinStandardHelpOptions = true,
    versionProvider = LineupCli.Version.class,
    description = "Operates a Lineup installation.",
    subcommands = {TopicsCommand.class})
public final class LineupCli {

  /**
   * The exit code of a command that refused, rightly, to do what it was asked: retrying cannot
   * help.
   */
  public static final int REFUSED = 3;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line and answers its exit code: 0 done, 1 failed (the same again may pass), 2
   * misused, {@link #REFUSED} refused.
   */
  public static int run(String... args) {
    return new CommandLine(new LineupCli()).execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws java.io.IOException {
      var properties = new java.util.Properties();
      try (var in = LineupCli.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          properties.load(in);
        }
      }
      return new String[] {"lineup " + properties.getProperty("version", "(development build)")};
    }
  }
}
