package dev.lineup.cli;

import static dev.lineup.cli.IntakeApi.segment;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lineup contents ...}: intake's content store, where scripts and profiles live once. */
@Command(
    name = "contents",
    mixinStandardHelpOptions = true,
    description = "Stores and fetches content by SHA-256 (/v1/contents).",
    subcommands = {ContentsCommand.Put.class, ContentsCommand.Get.class})
final class ContentsCommand {

  @Command(
      name = "put",
      mixinStandardHelpOptions = true,
      description = {
        "Stores a file (or standard input with -) and prints its SHA-256, to name it in a"
            + " payload (script_sha256, profile_sha256, ...)."
      })
  static final class Put extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "FILE|-")
    String file;

    @Override
    public Integer call() {
      byte[] body = readFileOrStdin(file);
      if (body.length == 0) {
        throw CliFailure.misused(file + " is empty: intake stores 1 byte to 1 MiB");
      }
      IntakeApi.Answer answer = api.api().put("/v1/contents", body);
      if (output.json) {
        out().println(answer.text());
      } else {
        JsonNode stored = answer.json();
        out().println(Json.text(stored, "sha256") + "  " + Json.text(stored, "size") + " bytes");
      }
      return LineupCli.OK;
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "Writes stored content to standard output or a file.")
  static final class Get extends ActivityCommands.ApiCommand {
    @Parameters(index = "0", paramLabel = "SHA256")
    String sha256;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE")
    Path target;

    @Override
    public Integer call() {
      IntakeApi.Answer answer = api.api().get("/v1/contents/" + segment(sha256));
      try {
        if (target != null) {
          Files.write(target, answer.body());
        } else {
          out().flush();
          LineupCli.of(spec).rawOut().write(answer.body());
          LineupCli.of(spec).rawOut().flush();
        }
      } catch (IOException e) {
        throw CliFailure.failed("cannot write " + target + ": " + e.getMessage());
      }
      return LineupCli.OK;
    }
  }
}
