package dev.lineup.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lineup completion}: a bash (and zsh, with bashcompinit) completion script. */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a bash completion script for lineup (zsh too, after autoload bashcompinit).",
      "Try it: source <(lineup completion)",
      "Keep it: lineup completion > /etc/bash_completion.d/lineup"
    })
final class CompletionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(AutoComplete.bash("lineup", spec.root().commandLine()));
    spec.commandLine().getOut().flush();
    return LineupCli.OK;
  }
}
