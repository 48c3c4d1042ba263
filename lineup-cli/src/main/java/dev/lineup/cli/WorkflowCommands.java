package dev.lineup.cli;

import static dev.lineup.cli.IntakeApi.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lineup workflows ...}: versioned templates and their runs (/v1/workflows). */
@Command(
    name = "workflows",
    mixinStandardHelpOptions = true,
    description = "Stores, reads and runs workflow templates (/v1/workflows).",
    subcommands = {
      WorkflowCommands.Put.class,
      WorkflowCommands.Get.class,
      WorkflowCommands.ListWorkflows.class,
      WorkflowCommands.Run.class
    })
final class WorkflowCommands {

  private WorkflowCommands() {}

  @Command(
      name = "put",
      mixinStandardHelpOptions = true,
      description = {
        "Stores FILE (a JSON definition, or - for standard input) as the workflow's next version"
            + " (PUT /v1/workflows/{name}); the same definition as the latest stores nothing.",
        "Example: lineup workflows put decommission docs/workflows/decommission.json"
      })
  static final class Put extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "FILE|-")
    String file;

    @Override
    public Integer call() {
      String text = new String(readFileOrStdin(file), java.nio.charset.StandardCharsets.UTF_8);
      JsonNode definition = Json.parse(text);
      IntakeApi.Answer answer = api.api().putJson("/v1/workflows/" + segment(name), definition);
      if (output.json) {
        out().println(answer.text());
      } else {
        JsonNode stored = answer.json();
        out().println(Json.text(stored, "name") + " version " + Json.text(stored, "version"));
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "Shows a workflow's latest version, or --version N (GET /v1/workflows/{name}).")
  static final class Get extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--version", paramLabel = "N")
    Integer version;

    @Override
    public Integer call() {
      IntakeApi.Answer answer =
          api.api()
              .get(
                  "/v1/workflows/"
                      + segment(name)
                      + (version == null ? "" : "?version=" + version));
      out().println(output.json ? answer.text() : Json.pretty(answer.json()));
      return LineupCli.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists the workflows, each at its latest version (GET /v1/workflows).")
  static final class ListWorkflows extends ActivityCommands.ApiCommand {
    @Override
    public Integer call() {
      IntakeApi.Answer answer = api.api().get("/v1/workflows");
      if (output.json) {
        out().println(answer.text());
        return LineupCli.OK;
      }
      Table table = new Table("NAME", "VERSION", "INPUTS", "STEPS", "CREATED");
      for (JsonNode w : answer.json().path("workflows")) {
        List<String> inputs = new ArrayList<>();
        w.path("inputs").forEach(i -> inputs.add(i.asText()));
        table.row(
            Json.text(w, "name"),
            Json.text(w, "version"),
            String.join(",", inputs),
            w.path("steps").size(),
            Json.text(w, "created_at"));
      }
      table.print(out());
      if (table.size() == 0) {
        out().println("(no workflows)");
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Runs a workflow on hosts as one atomic batch (POST /v1/workflows/{name}/runs).",
        "Example: lineup workflows run decommission --host mac-42 --input message='Return to IT'"
      })
  static final class Run extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--host", paramLabel = "HOST", required = true, description = "Repeatable.")
    List<String> hosts;

    @Option(
        names = "--input",
        paramLabel = "NAME=VALUE",
        description = "A value for each of the workflow's inputs; repeatable.")
    Map<String, String> inputs = new LinkedHashMap<>();

    @Option(names = "--version", paramLabel = "N", description = "Default: the latest.")
    Integer version;

    @Override
    public Integer call() {
      ObjectNode body = Json.object();
      ArrayNode hostIds = body.putArray("host_ids");
      hosts.forEach(hostIds::add);
      ObjectNode values = body.putObject("inputs");
      inputs.forEach(values::put);
      if (version != null) {
        body.put("version", version);
      }
      IntakeApi.Answer answer = api.api().post("/v1/workflows/" + segment(name) + "/runs", body);
      if (output.json) {
        out().println(answer.text());
      } else {
        JsonNode run = answer.json();
        out()
            .println(
                "batch "
                    + Json.text(run, "batch_id")
                    + ": "
                    + Json.text(run, "activities")
                    + " activities on "
                    + Json.text(run, "hosts")
                    + " host(s), "
                    + name
                    + " version "
                    + Json.text(run, "version")
                    + " (lineup batch status "
                    + Json.text(run, "batch_id")
                    + ")");
      }
      return LineupCli.OK;
    }
  }
}
