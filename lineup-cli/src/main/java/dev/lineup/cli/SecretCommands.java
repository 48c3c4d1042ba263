package dev.lineup.cli;

import static dev.lineup.cli.IntakeApi.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code lineup secrets ...}: values scripts reference as {@code $LINEUP_SECRET_<NAME>}. A value is
 * read from a file or standard input, never from the command line, where shells and process lists
 * keep it.
 */
@Command(
    name = "secrets",
    mixinStandardHelpOptions = true,
    description = "Sets, lists and deletes secrets (/v1/secrets); values are never shown.",
    subcommands = {
      SecretCommands.Set.class,
      SecretCommands.ListSecrets.class,
      SecretCommands.Delete.class
    })
final class SecretCommands {

  private SecretCommands() {}

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = {
        "Sets NAME to the contents of FILE, or of standard input with - (PUT /v1/secrets/{name});"
            + " one trailing newline is dropped.",
        "Example: printf %s \"$PW\" | lineup secrets set DB_PASSWORD -"
      })
  static final class Set extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "FILE|-")
    String file;

    @Override
    public Integer call() {
      String value = new String(readFileOrStdin(file), StandardCharsets.UTF_8);
      if (value.endsWith("\n")) {
        value = value.substring(0, value.length() - 1);
      }
      ObjectNode body = Json.object();
      body.put("value", value);
      IntakeApi.Answer answer = api.api().putJson("/v1/secrets/" + segment(name), body);
      if (output.json) {
        out().println(answer.text());
      } else {
        out().println("set " + name + " at " + Json.text(answer.json(), "updated_at"));
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists secrets' names and when each last changed (GET /v1/secrets).")
  static final class ListSecrets extends ActivityCommands.ApiCommand {
    @Override
    public Integer call() {
      IntakeApi.Answer answer = api.api().get("/v1/secrets");
      if (output.json) {
        out().println(answer.text());
        return LineupCli.OK;
      }
      Table table = new Table("NAME", "UPDATED");
      for (JsonNode s : answer.json().path("secrets")) {
        table.row(s, "name", "updated_at");
      }
      table.print(out());
      if (table.size() == 0) {
        out().println("(no secrets)");
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = {
        "Deletes a secret (DELETE /v1/secrets/{name}).",
        "Refused (exit 3) while an unfinished activity references it; the answer names them."
      })
  static final class Delete extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      api.api().delete("/v1/secrets/" + segment(name));
      if (!output.json) {
        out().println("deleted secret " + name);
      }
      return LineupCli.OK;
    }
  }
}
