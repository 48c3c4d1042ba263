package dev.lineup.cli;

import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code lineup}: the operator's command. Every option that names a place or a secret also reads an
 * environment variable, so the same image runs as a Kubernetes Job or a compose service without
 * arguments beyond the command itself.
 *
 * <p>One verb is one intake call ({@code enqueue}, {@code get}, {@code list}, {@code cancel}, ...);
 * {@code batch} stages a batch in a local file before one all-or-nothing submit; {@code events} and
 * {@code dlq} read Kafka directly, because the API has no stream of events and no view of dead
 * letters. docs/CLI.md says why each choice was made.
 */
@Command(
    name = "lineup",
    mixinStandardHelpOptions = true,
    versionProvider = LineupCli.Version.class,
    description = "Operates a Lineup installation.",
    footer = {
      "",
      "Exit codes: 0 done; 1 failed, the same again may pass (unreachable, 5xx, 429); 2 misused"
          + " (bad arguments, or the service answered 400/413); 3 refused (401, 403, 404, 409,"
          + " or the CLI refused itself). See docs/CLI.md."
    },
    subcommands = {
      ActivityCommands.Enqueue.class,
      ActivityCommands.Get.class,
      ActivityCommands.ListActivities.class,
      ActivityCommands.Cancel.class,
      ActivityCommands.CancelAll.class,
      ActivityCommands.CancelMatching.class,
      ActivityCommands.Pause.class,
      ActivityCommands.Resume.class,
      ActivityCommands.Purge.class,
      ActivityCommands.Summary.class,
      BatchCommand.class,
      TokensCommand.class,
      ContentsCommand.class,
      ScheduleCommands.class,
      WorkflowCommands.class,
      SecretCommands.class,
      EventsCommand.class,
      DlqCommand.class,
      TopicsCommand.class,
      CompletionCommand.class
    })
public final class LineupCli {

  /** Done. */
  public static final int OK = 0;

  /** Failed, and the same command again may pass: unreachable, 5xx, 429. */
  public static final int FAILED = 1;

  /** Misused: bad arguments, or a request the service found invalid (400, 413). */
  public static final int MISUSED = 2;

  /**
   * The exit code of a command that refused, rightly, to do what it was asked: retrying cannot
   * help.
   */
  public static final int REFUSED = 3;

  private final Map<String, String> environment;
  private final InputStream in;
  private final PrintStream out;

  LineupCli(Map<String, String> environment, InputStream in, PrintStream out) {
    this.environment = environment;
    this.in = in;
    this.out = out;
  }

  /** For picocli's annotation processor and tools that instantiate the command reflectively. */
  public LineupCli() {
    this(System.getenv(), System.in, System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line and answers its exit code: 0 done, 1 failed (the same again may pass), 2
   * misused, {@link #REFUSED} refused.
   */
  public static int run(String... args) {
    return run(System.getenv(), System.in, System.out, System.err, args);
  }

  /**
   * Runs the command line with the given environment (instead of the process's) and streams: what
   * tests use, so that {@code LINEUP_URL} or {@code LINEUP_TOKEN} never leak between runs.
   */
  public static int run(
      Map<String, String> environment,
      InputStream in,
      PrintStream out,
      PrintStream err,
      String... args) {
    PrintWriter outWriter =
        new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    PrintWriter errWriter =
        new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    try {
      return commandLine(new LineupCli(environment, in, out), outWriter, errWriter).execute(args);
    } finally {
      outWriter.flush();
      errWriter.flush();
    }
  }

  static CommandLine commandLine(LineupCli root, PrintWriter out, PrintWriter err) {
    CommandLine commandLine = new CommandLine(root);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setExecutionExceptionHandler(
        (exception, command, parseResult) -> {
          PrintWriter errors = command.getErr();
          if (exception instanceof CliFailure failure) {
            errors.println(failure.getMessage());
            return failure.exitCode();
          }
          // A bug, not an answer: say so loudly, with the trace.
          errors.println("lineup: unexpected error: " + exception);
          exception.printStackTrace(errors);
          return FAILED;
        });
    return commandLine;
  }

  /** The environment this run reads its settings from. */
  String env(String name) {
    return environment.get(name);
  }

  InputStream in() {
    return in;
  }

  /** The raw standard output, for bytes ({@code contents get}); flush the writer first. */
  PrintStream rawOut() {
    return out;
  }

  /** Where local state lives: {@code $LINEUP_HOME}, else {@code ~/.lineup}. */
  Path home() {
    String home = env("LINEUP_HOME");
    if (home != null && !home.isBlank()) {
      return Path.of(home);
    }
    return Path.of(System.getProperty("user.home"), ".lineup");
  }

  /** The root of the command a spec belongs to. */
  static LineupCli of(CommandSpec spec) {
    return (LineupCli) spec.root().userObject();
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
