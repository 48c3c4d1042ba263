package dev.lineup.cli;

import static dev.lineup.cli.IntakeApi.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The activity verbs: one command, one intake call (docs/CONTRACT.md, "HTTP: intake-service"). */
final class ActivityCommands {

  private ActivityCommands() {}

  /** What every command here shares: the API, the output choice, its writer. */
  @Command
  abstract static class ApiCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ApiOptions api;
    @Mixin OutputOptions output;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** The bytes of {@code file}, or of standard input for {@code -}; exit 2 if unreadable. */
    byte[] readFileOrStdin(String file) {
      try {
        return "-".equals(file)
            ? LineupCli.of(spec).in().readAllBytes()
            : java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file));
      } catch (java.io.IOException e) {
        throw CliFailure.misused("cannot read " + file + " (" + e.getMessage() + ")");
      }
    }

    /** Prints an answer: the JSON as it came, or its fields for people. */
    int printRecord(IntakeApi.Answer answer) {
      if (output.json) {
        out().println(answer.text());
      } else {
        Table.printFields(out(), answer.json());
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "enqueue",
      mixinStandardHelpOptions = true,
      description = {
        "Enqueues one activity for a host (POST /v1/hosts/{host}/activities).",
        "Example: lineup enqueue mac-42 --script hello.sh"
      })
  static final class Enqueue extends ApiCommand {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    @Mixin ActivityOptions activity;

    @Option(
        names = "--idempotency-key",
        paramLabel = "KEY",
        description = "The same key and body again return the same activity.")
    String idempotencyKey;

    @Override
    public Integer call() {
      ObjectNode body = activity.toBody();
      return printRecord(
          api.api().post("/v1/hosts/" + segment(host) + "/activities", body, idempotencyKey));
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "Shows one activity (GET /v1/activities/{id}).")
  static final class Get extends ApiCommand {
    @Parameters(index = "0", paramLabel = "ACTIVITY_ID")
    String activityId;

    @Override
    public Integer call() {
      return printRecord(api.api().get("/v1/activities/" + segment(activityId)));
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "Lists a host's upcoming (the default) or past activities"
            + " (GET /v1/hosts/{host}/activities).",
        "Upcoming: in flight first, then by priority, then by acceptance. Past: newest first."
      })
  static final class ListActivities extends ApiCommand {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    static final class Which {
      @Option(names = "--upcoming", description = "Unfinished activities (the default).")
      boolean upcoming;

      @Option(names = "--past", description = "Finished activities.")
      boolean past;
    }

    @ArgGroup(exclusive = true)
    Which which;

    @Option(names = "--limit", paramLabel = "N", description = "1 to 500; default 50.")
    Integer limit;

    @Option(names = "--cursor", paramLabel = "CURSOR", description = "The page after this one.")
    String cursor;

    @Option(names = "--all", description = "Follow the cursor through every page.")
    boolean all;

    @Override
    public Integer call() {
      IntakeApi intake = api.api();
      String state = which != null && which.past ? "past" : "upcoming";
      Table table =
          new Table(
              "ACTIVITY", "TYPE", "LANE", "STATE", "REASON", "PRI", "TRY", "CREATED", "ENDED");
      String next = cursor;
      do {
        StringBuilder path =
            new StringBuilder("/v1/hosts/" + segment(host) + "/activities?state=" + state);
        if (limit != null) {
          path.append("&limit=").append(limit);
        }
        if (next != null) {
          path.append("&cursor=").append(segment(next));
        }
        IntakeApi.Answer answer = intake.get(path.toString());
        JsonNode page = answer.json();
        if (output.json) {
          out().println(answer.text());
        } else {
          for (JsonNode a : page.path("activities")) {
            table.row(
                a,
                "activity_id",
                "type",
                "lane",
                "state",
                "reason",
                "priority",
                "attempt",
                "created_at",
                "finished_at");
          }
        }
        next = page.hasNonNull("next_cursor") ? page.get("next_cursor").asText() : null;
      } while (all && next != null);
      if (!output.json) {
        table.print(out());
        if (table.size() == 0) {
          out().println("(no " + state + " activities on " + host + ")");
        }
        if (next != null) {
          out().println("more: lineup list " + host + " --" + state + " --cursor " + next);
        }
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description = {
        "Cancels one activity of a host (DELETE /v1/hosts/{host}/activities/{id}).",
        "Refused (exit 3) when it has ended, or is a released lock or wipe."
      })
  static final class Cancel extends ApiCommand {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    @Parameters(index = "1", paramLabel = "ACTIVITY_ID")
    String activityId;

    @Override
    public Integer call() {
      IntakeApi.Answer answer =
          api.api().delete("/v1/hosts/" + segment(host) + "/activities/" + segment(activityId));
      if (output.json) {
        out().println(answer.text());
      } else {
        JsonNode activity = answer.json();
        out()
            .println(
                "cancelling "
                    + activityId
                    + " ("
                    + Json.text(activity, "type")
                    + ", was "
                    + Json.text(activity, "state")
                    + ")");
      }
      return LineupCli.OK;
    }
  }

  /** Prints a host-level answer ({@code {"hostId", "command"}}). */
  @Command
  abstract static class HostCommand extends ApiCommand {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    int printAccepted(IntakeApi.Answer answer, String saying) {
      if (output.json) {
        out().println(answer.text());
      } else {
        out().println(saying + " " + host + " (" + Json.text(answer.json(), "command") + ")");
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "cancel-all",
      mixinStandardHelpOptions = true,
      description =
          "Cancels everything upcoming on a host (DELETE /v1/hosts/{host}/activities?state=upcoming).")
  static final class CancelAll extends HostCommand {
    @Override
    public Integer call() {
      return printAccepted(
          api.api().delete("/v1/hosts/" + segment(host) + "/activities?state=upcoming"),
          "cancelling everything upcoming on");
    }
  }

  @Command(
      name = "cancel-matching",
      mixinStandardHelpOptions = true,
      description = {
        "Cancels every matching upcoming activity on every host (POST /v1/cancellations).",
        "Every option given must match; at least one is needed."
      })
  static final class CancelMatching extends ApiCommand {
    @Option(names = "--type", paramLabel = "TYPE")
    String type;

    @Option(names = "--installer-id", paramLabel = "ID")
    String installerId;

    @Option(
        names = "--script-sha256",
        paramLabel = "SHA256",
        description = "Script runs of it, and installs and uninstalls that use it.")
    String scriptSha256;

    @Override
    public Integer call() {
      if (type == null && installerId == null && scriptSha256 == null) {
        throw CliFailure.misused(
            "name at least one of --type, --installer-id, --script-sha256: without one it would"
                + " match everything");
      }
      ObjectNode selector = Json.object();
      if (type != null) {
        selector.put("type", type);
      }
      if (installerId != null) {
        selector.put("installer_id", installerId);
      }
      if (scriptSha256 != null) {
        selector.put("script_sha256", scriptSha256);
      }
      IntakeApi.Answer answer = api.api().post("/v1/cancellations", selector);
      if (output.json) {
        out().println(answer.text());
      } else {
        JsonNode accepted = answer.json();
        out()
            .println(
                "cancellation "
                    + Json.text(accepted, "cancellation_id")
                    + " sent to "
                    + Json.text(accepted, "partitions")
                    + " partitions: every matching upcoming activity on every host is being cancelled");
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = "Holds releases on a host (POST /v1/hosts/{host}/pause).")
  static final class Pause extends HostCommand {
    @Override
    public Integer call() {
      return printAccepted(
          api.api().post("/v1/hosts/" + segment(host) + "/pause", null), "pausing");
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Resumes releases on a host (POST /v1/hosts/{host}/resume).")
  static final class Resume extends HostCommand {
    @Override
    public Integer call() {
      return printAccepted(
          api.api().post("/v1/hosts/" + segment(host) + "/resume", null), "resuming");
    }
  }

  @Command(
      name = "purge",
      mixinStandardHelpOptions = true,
      description = {
        "Purges a host: ends every activity on it, released ones too, and forgets its queue (DELETE /v1/hosts/{host}; admin).",
        "Needs --yes: there is no undo."
      })
  static final class Purge extends HostCommand {
    @Option(names = "--yes", description = "Yes, purge it.")
    boolean yes;

    @Override
    public Integer call() {
      if (!yes) {
        throw CliFailure.misused(
            "purge ends every activity of "
                + host
                + ", released ones too, and forgets its queue: add --yes to do it");
      }
      return printAccepted(api.api().delete("/v1/hosts/" + segment(host)), "purging");
    }
  }

  @Command(
      name = "summary",
      mixinStandardHelpOptions = true,
      description = "Activities by type and state (GET /v1/summary).")
  static final class Summary extends ApiCommand {
    @Override
    public Integer call() {
      IntakeApi.Answer answer = api.api().get("/v1/summary");
      if (output.json) {
        out().println(answer.text());
        return LineupCli.OK;
      }
      Table table = new Table("TYPE", "STATE", "COUNT");
      for (JsonNode count : answer.json().path("counts")) {
        table.row(count, "type", "state", "count");
      }
      table.print(out());
      return LineupCli.OK;
    }
  }
}
