package dev.lineup.cli;

import static dev.lineup.cli.IntakeApi.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lineup schedules ...}: recurring activities (/v1/schedules), one verb per call. */
@Command(
    name = "schedules",
    mixinStandardHelpOptions = true,
    description = "Creates, lists and steers recurring activities (/v1/schedules).",
    subcommands = {
      ScheduleCommands.Create.class,
      ScheduleCommands.Get.class,
      ScheduleCommands.ListSchedules.class,
      ScheduleCommands.Pause.class,
      ScheduleCommands.Resume.class,
      ScheduleCommands.Delete.class
    })
final class ScheduleCommands {

  private ScheduleCommands() {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Creates a schedule: the activity the options describe, enqueued on HOST at every slot"
            + " (POST /v1/schedules). A slot whose previous activity has not ended is skipped.",
        "Example: lineup schedules create mac-42 --every PT6H --script inventory.sh"
      })
  static final class Create extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    static final class When {
      @Option(
          names = "--every",
          paramLabel = "DURATION",
          required = true,
          description = "An ISO-8601 interval, PT1M to P366D, e.g. PT6H.")
      String every;

      @Option(
          names = "--cron",
          paramLabel = "EXPRESSION",
          required = true,
          description = "Five fields: minute hour day-of-month month day-of-week.")
      String cron;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    When when;

    @Option(
        names = "--time-zone",
        paramLabel = "ZONE",
        description = "The cron's IANA time zone; default UTC.")
    String timeZone;

    @Option(
        names = "--start-at",
        paramLabel = "TIME",
        description = "RFC 3339: the first slot (intervals count from it); default now.")
    String startAt;

    @Option(
        names = "--schedule-id",
        paramLabel = "UUID",
        description = "Your own id: sending the same again is a no-op.")
    String scheduleId;

    @Mixin ActivityOptions activity;

    @Override
    public Integer call() {
      ObjectNode body = Json.object();
      if (scheduleId != null) {
        body.put("schedule_id", scheduleId);
      }
      body.put("host_id", host);
      if (when.every != null) {
        body.put("every", when.every);
      } else {
        body.put("cron", when.cron);
      }
      if (timeZone != null) {
        body.put("time_zone", timeZone);
      }
      if (startAt != null) {
        body.put("start_at", startAt);
      }
      body.set("activity", activity.toBody());
      return printRecord(api.api().post("/v1/schedules", body));
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description =
          "Shows one schedule, its next slot and its last activity (GET /v1/schedules/{id}).")
  static final class Get extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "SCHEDULE_ID")
    String scheduleId;

    @Override
    public Integer call() {
      return printRecord(api.api().get("/v1/schedules/" + segment(scheduleId)));
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists a host's schedules (GET /v1/hosts/{host}/schedules).")
  static final class ListSchedules extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    @Override
    public Integer call() {
      IntakeApi.Answer answer = api.api().get("/v1/hosts/" + segment(host) + "/schedules");
      if (output.json) {
        out().println(answer.text());
        return LineupCli.OK;
      }
      Table table =
          new Table("SCHEDULE", "EVERY", "CRON", "ZONE", "NEXT", "PAUSED", "LAST", "LAST STATE");
      for (JsonNode s : answer.json().path("schedules")) {
        table.row(
            s,
            "schedule_id",
            "every",
            "cron",
            "time_zone",
            "next_fire_at",
            "paused",
            "last_activity_id",
            "last_state");
      }
      table.print(out());
      if (table.size() == 0) {
        out().println("(no schedules on " + host + ")");
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = "Stops a schedule's firings until resumed (POST /v1/schedules/{id}/pause).")
  static final class Pause extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "SCHEDULE_ID")
    String scheduleId;

    @Override
    public Integer call() {
      return printRecord(api.api().post("/v1/schedules/" + segment(scheduleId) + "/pause", null));
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = {
        "Resumes a paused schedule (POST /v1/schedules/{id}/resume).",
        "Slots missed while paused are not fired."
      })
  static final class Resume extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "SCHEDULE_ID")
    String scheduleId;

    @Override
    public Integer call() {
      return printRecord(api.api().post("/v1/schedules/" + segment(scheduleId) + "/resume", null));
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = {
        "Deletes a schedule (DELETE /v1/schedules/{id}).",
        "Activities it enqueued stay in their queue."
      })
  static final class Delete extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "SCHEDULE_ID")
    String scheduleId;

    @Override
    public Integer call() {
      api.api().delete("/v1/schedules/" + segment(scheduleId));
      if (!output.json) {
        out().println("deleted schedule " + scheduleId);
      }
      return LineupCli.OK;
    }
  }
}
