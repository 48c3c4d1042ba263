package dev.lineup.cli;

/**
 * Why a command ends without doing what it was asked, and with which exit code. Thrown anywhere in
 * a command; {@link LineupCli} prints the message to stderr and exits with the code. Not for bugs.
 */
final class CliFailure extends RuntimeException {

  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }

  /** Bad arguments or input the CLI itself can tell is wrong: exit 2. */
  static CliFailure misused(String message) {
    return new CliFailure(LineupCli.MISUSED, "lineup: " + message);
  }

  /** The CLI or the service rightly refused: exit 3. */
  static CliFailure refused(String message) {
    return new CliFailure(LineupCli.REFUSED, "lineup: refused: " + message);
  }

  /** Could not finish, and the same again may pass: exit 1. */
  static CliFailure failed(String message) {
    return new CliFailure(LineupCli.FAILED, "lineup: failed: " + message);
  }
}
