package dev.lineup.cli;

import static dev.lineup.cli.IntakeApi.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lineup batch ...}: a batch staged in a local file, activity by activity, then submitted in
 * one all-or-nothing call, as spin stages a package. Each activity gets its id when it is staged,
 * so submitting the same file again after a lost answer enqueues nothing twice.
 */
@Command(
    name = "batch",
    mixinStandardHelpOptions = true,
    description = {
      "Stages a batch locally, submits it all or nothing (POST /v1/batches), and follows it.",
      "Staged in $LINEUP_HOME/batches/<name>.json (default ~/.lineup/batches).",
      "Example: lineup batch new locks; lineup batch add locks --host mac-1 --type lock;"
          + " lineup batch submit locks; lineup batch status locks"
    },
    subcommands = {
      BatchCommand.New.class,
      BatchCommand.Add.class,
      BatchCommand.Show.class,
      BatchCommand.ListStaged.class,
      BatchCommand.Drop.class,
      BatchCommand.Submit.class,
      BatchCommand.Status.class
    })
final class BatchCommand {

  @Command
  abstract static class StageCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    BatchStage stage(String name) {
      return BatchStage.of(LineupCli.of(spec).home(), name);
    }
  }

  @Command(name = "new", mixinStandardHelpOptions = true, description = "Starts a staged batch.")
  static final class New extends StageCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      BatchStage stage = stage(name);
      stage.create(Instant.now().toString());
      out().println("staged batch " + name + " in " + stage.file());
      return LineupCli.OK;
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = {
        "Adds one activity for a host to a staged batch. Nothing is sent yet.",
        "Example: lineup batch add b1 --host mac-1 --type script_run --payload @run.json"
      })
  static final class Add extends StageCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--host", required = true, paramLabel = "HOST")
    String host;

    @Mixin ActivityOptions activity;

    @Override
    public Integer call() {
      BatchStage stage = stage(name);
      ObjectNode staged = stage.read();
      refuseIfSubmitted(staged);
      ObjectNode item = Json.object();
      item.put("host_id", host);
      item.setAll(activity.toBody());
      if (!item.hasNonNull("activity_id")) {
        // Its id from now on: a submit repeated after a lost answer is a no-op at intake.
        item.put("activity_id", UUID.randomUUID().toString());
      }
      ArrayNode activities = (ArrayNode) staged.get("activities");
      activities.add(item);
      stage.write(staged);
      out()
          .println(
              "added "
                  + item.get("activity_id").asText()
                  + " ("
                  + item.get("type").asText()
                  + " on "
                  + host
                  + "): "
                  + activities.size()
                  + " in batch "
                  + name);
      return LineupCli.OK;
    }
  }

  static void refuseIfSubmitted(ObjectNode staged) {
    if (staged.hasNonNull("batch_id")) {
      throw CliFailure.refused(
          "batch "
              + staged.get("name").asText()
              + " was submitted as "
              + staged.get("batch_id").asText()
              + "; stage a new one");
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Shows a staged batch.")
  static final class Show extends StageCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Mixin OutputOptions output;

    @Override
    public Integer call() {
      ObjectNode staged = stage(name).read();
      if (output.json) {
        out().println(Json.write(staged));
        return LineupCli.OK;
      }
      out()
          .println(
              "batch "
                  + name
                  + (staged.hasNonNull("batch_id")
                      ? ", submitted as " + staged.get("batch_id").asText()
                      : ", not submitted"));
      Table table = new Table("ACTIVITY", "HOST", "TYPE", "LANE", "PRI");
      for (JsonNode a : staged.get("activities")) {
        table.row(a, "activity_id", "host_id", "type", "lane", "priority");
      }
      table.print(out());
      return LineupCli.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists the staged batches.")
  static final class ListStaged extends StageCommand {
    @Mixin OutputOptions output;

    @Override
    public Integer call() {
      Table table = new Table("NAME", "ACTIVITIES", "BATCH", "SUBMITTED");
      for (BatchStage stage : BatchStage.all(LineupCli.of(spec).home())) {
        ObjectNode staged = stage.read();
        if (output.json) {
          out().println(Json.write(staged));
        } else {
          table.row(
              stage.name(),
              staged.get("activities").size(),
              Json.text(staged, "batch_id"),
              Json.text(staged, "submitted_at"));
        }
      }
      if (!output.json) {
        table.print(out());
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "drop",
      mixinStandardHelpOptions = true,
      description = "Deletes a staged batch's file (a submitted batch stays submitted).")
  static final class Drop extends StageCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      stage(name).delete();
      out().println("dropped batch " + name);
      return LineupCli.OK;
    }
  }

  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description = {
        "Submits a staged batch, all or nothing (POST /v1/batches), and records its batch id.",
        "If intake refuses any activity, nothing is enqueued and each refused field is named."
      })
  static final class Submit extends StageCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Mixin ApiOptions api;
    @Mixin OutputOptions output;

    @Override
    public Integer call() {
      BatchStage stage = stage(name);
      ObjectNode staged = stage.read();
      refuseIfSubmitted(staged);
      if (staged.get("activities").isEmpty()) {
        throw CliFailure.misused(
            "batch " + name + " is empty: add activities with lineup batch add " + name);
      }
      ObjectNode body = Json.object();
      body.set("activities", staged.get("activities"));
      IntakeApi.Answer answer = api.api().post("/v1/batches", body);
      JsonNode batch = answer.json();
      staged.put("batch_id", batch.path("batch_id").asText());
      staged.put("submitted_at", Instant.now().toString());
      stage.write(staged);
      if (output.json) {
        out().println(answer.text());
      } else {
        out()
            .println(
                "submitted batch "
                    + name
                    + " as "
                    + Json.text(batch, "batch_id")
                    + " ("
                    + Json.text(batch, "size")
                    + " activities)");
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "A batch's state and counts (GET /v1/batches/{id}), by staged name or by id.",
        "With --state, its activities in that state instead (GET /v1/batches/{id}/activities):"
            + " --state failed lists the hosts a rollout failed on."
      })
  static final class Status extends StageCommand {
    @Parameters(index = "0", paramLabel = "NAME|BATCH_ID")
    String nameOrId;

    @picocli.CommandLine.Option(
        names = "--state",
        paramLabel = "STATE",
        description = "queued, released, succeeded, failed, cancelled, expired, ... (any case).")
    String state;

    @Mixin ApiOptions api;
    @Mixin OutputOptions output;

    @Override
    public Integer call() {
      String batchId = nameOrId;
      if (BatchStage.isName(nameOrId) && stage(nameOrId).exists()) {
        ObjectNode staged = stage(nameOrId).read();
        if (!staged.hasNonNull("batch_id")) {
          throw CliFailure.refused(
              "batch "
                  + nameOrId
                  + " is staged but not submitted (lineup batch submit "
                  + nameOrId
                  + ")");
        }
        batchId = staged.get("batch_id").asText();
      }
      if (state != null) {
        return printActivities(batchId);
      }
      IntakeApi.Answer answer = api.api().get("/v1/batches/" + segment(batchId));
      if (output.json) {
        out().println(answer.text());
        return LineupCli.OK;
      }
      JsonNode batch = answer.json();
      new Table("BATCH", "STATE", "SIZE", "CREATED")
          .row(batch, "batch_id", "state", "size", "created_at")
          .print(out());
      Table counts = new Table("STATE", "COUNT");
      batch.path("counts").fields().forEachRemaining(e -> counts.row(e.getKey(), e.getValue()));
      out().println();
      counts.print(out());
      return LineupCli.OK;
    }

    /** Every page of the batch's activities in {@code state}: JSON lines of pages, or a table. */
    private int printActivities(String batchId) {
      Table table = new Table("HOST", "ACTIVITY", "TYPE", "STATE", "REASON", "ENDED");
      String next = null;
      do {
        String path =
            "/v1/batches/"
                + segment(batchId)
                + "/activities?state="
                + segment(state)
                + (next == null ? "" : "&cursor=" + segment(next));
        IntakeApi.Answer answer = api.api().get(path);
        JsonNode page = answer.json();
        if (output.json) {
          out().println(answer.text());
        } else {
          for (JsonNode a : page.path("activities")) {
            table.row(a, "host_id", "activity_id", "type", "state", "reason", "finished_at");
          }
        }
        next = page.hasNonNull("next_cursor") ? page.get("next_cursor").asText() : null;
      } while (next != null);
      if (!output.json) {
        table.print(out());
        if (table.size() == 0) {
          out().println("(no " + state.toLowerCase(java.util.Locale.ROOT) + " activities)");
        }
      }
      return LineupCli.OK;
    }
  }
}
