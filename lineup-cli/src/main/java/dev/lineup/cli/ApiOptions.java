package dev.lineup.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where intake is and who asks: the options of every command that calls the intake API. */
final class ApiOptions {

  static final String DEFAULT_URL = "http://localhost:8080";

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--url",
      paramLabel = "URL",
      description = "Intake's base URL (env LINEUP_URL; default " + DEFAULT_URL + ").")
  String url;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "API token. Prefer LINEUP_TOKEN or --token-file: a command line is visible to every"
              + " user of the machine.")
  String token;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "A file holding the API token (env LINEUP_TOKEN_FILE).")
  Path tokenFile;

  IntakeApi api() {
    LineupCli root = LineupCli.of(spec);
    String base = url != null ? url : orElse(root.env("LINEUP_URL"), DEFAULT_URL);
    return new IntakeApi(baseUri(base), token(root));
  }

  private static URI baseUri(String base) {
    try {
      URI uri = new URI(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw CliFailure.misused(
            "--url must be an http:// or https:// URL with a host, not " + base);
      }
      return uri;
    } catch (URISyntaxException e) {
      throw CliFailure.misused("--url is not a URL: " + e.getMessage());
    }
  }

  /** The token, or null: intake then answers 401, which the CLI explains. */
  private String token(LineupCli root) {
    if (token != null) {
      return checked(token, "--token");
    }
    Path file = tokenFile;
    String fileName = "--token-file";
    if (file == null && root.env("LINEUP_TOKEN") != null && !root.env("LINEUP_TOKEN").isBlank()) {
      return checked(root.env("LINEUP_TOKEN").strip(), "LINEUP_TOKEN");
    }
    if (file == null && root.env("LINEUP_TOKEN_FILE") != null) {
      file = Path.of(root.env("LINEUP_TOKEN_FILE"));
      fileName = "LINEUP_TOKEN_FILE";
    }
    if (file == null) {
      return null;
    }
    try {
      return checked(Files.readString(file, StandardCharsets.UTF_8).strip(), fileName);
    } catch (IOException e) {
      // The path only, never the content.
      throw CliFailure.misused(fileName + ": cannot read " + file + " (" + e + ")");
    }
  }

  /** A token with a line break or control character would split the Authorization header. */
  private static String checked(String value, String where) {
    if (value.isEmpty() || value.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
      throw CliFailure.misused(
          where + ": the token is empty or holds spaces or control characters");
    }
    return value;
  }

  private static String orElse(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
