package dev.lineup.cli;

import static dev.lineup.cli.IntakeApi.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lineup tokens ...}: intake's API tokens (admin). */
@Command(
    name = "tokens",
    mixinStandardHelpOptions = true,
    description = "Creates, lists and revokes API tokens (/v1/tokens; admin).",
    subcommands = {
      TokensCommand.Create.class,
      TokensCommand.ListTokens.class,
      TokensCommand.Revoke.class
    })
final class TokensCommand {

  /** The roles intake knows; checked here too, so a typo costs no round trip. */
  enum Role {
    observer,
    operator,
    admin
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Creates a token and prints it: the only time it is shown.",
        "A name already in use is refused (exit 3)."
      })
  static final class Create extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(
        names = "--role",
        required = true,
        paramLabel = "ROLE",
        description = "observer, operator or admin.")
    Role role;

    @Override
    public Integer call() {
      ObjectNode body = Json.object();
      body.put("name", name);
      body.put("role", role.name());
      IntakeApi.Answer answer = api.api().post("/v1/tokens", body);
      if (output.json) {
        out().println(answer.text());
      } else {
        JsonNode made = answer.json();
        out()
            .println(
                "created "
                    + Json.text(made, "role")
                    + " token "
                    + Json.text(made, "name")
                    + "; it is shown only now:");
        out().println(Json.text(made, "token"));
      }
      return LineupCli.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the tokens.")
  static final class ListTokens extends ActivityCommands.ApiCommand {
    @Override
    public Integer call() {
      IntakeApi.Answer answer = api.api().get("/v1/tokens");
      if (output.json) {
        out().println(answer.text());
        return LineupCli.OK;
      }
      Table table = new Table("NAME", "ROLE", "CREATED", "REVOKED");
      for (JsonNode token : answer.json().path("tokens")) {
        table.row(token, "name", "role", "created_at", "revoked_at");
      }
      table.print(out());
      if (table.size() == 0) {
        out().println("(no tokens but the configured admin token)");
      }
      return LineupCli.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes a token.")
  static final class Revoke extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      api.api().delete("/v1/tokens/" + segment(name));
      if (!output.json) {
        out().println("revoked token " + name);
      }
      return LineupCli.OK;
    }
  }
}
