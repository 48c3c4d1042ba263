package dev.lineup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The launcher {@code mvn package} leaves in target: run as an operator runs it, a process of its
 * own from the packaged jar and target/lib. Runs after package (surefire's launcher-test
 * execution), since before it there is no jar.
 */
class LauncherScriptIT {

  private static final String LAUNCHER_PROPERTY = "lineup.launcher";

  private static Path launcher;

  /**
   * Only in the launcher-test execution, which names the script: with -Dtest=LauncherScriptIT the
   * test phase runs it too, before there is anything to run.
   */
  @BeforeAll
  static void packaged() {
    String path = System.getProperty(LAUNCHER_PROPERTY);
    assumeTrue(path != null, "runs after package, in surefire's launcher-test execution");
    launcher = Path.of(path);
  }

  private static String run(String... args) throws Exception {
    String[] command = new String[args.length + 1];
    command[0] = launcher.toAbsolutePath().toString();
    System.arraycopy(args, 0, command, 1, args.length);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process process = builder.start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  @Test
  void thePackagedLauncherRunsTheCli() throws Exception {
    assertThat(Files.isExecutable(launcher)).as(launcher + " is executable").isTrue();

    assertThat(run("--version")).matches("lineup \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\s*");
    assertThat(run("completion")).contains("complete -F");
  }

  @Test
  void aSymbolicLinkToTheLauncherFindsTheJar() throws Exception {
    Path link = Files.createTempDirectory("bin").resolve("lineup");
    Files.createSymbolicLink(link, launcher.toAbsolutePath());
    ProcessBuilder builder = new ProcessBuilder(link.toString(), "--version");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process process = builder.redirectErrorStream(true).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).startsWith("lineup ");
  }
}
