package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Lineup service as production runs it: its packaged artifact ({@code mvn package} leaves {@code
 * <module>/target/<module>-<version>.jar} beside {@code target/lib}) in a JVM of its own, every
 * setting in environment variables, so it can die as a process dies: no shutdown hook, no commit,
 * no close. Its output goes to {@code target/service-logs/}, one file per start.
 */
final class ServiceProcess {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final String name;
  private final Path jar;
  private final int port;
  private final Map<String, String> environment;
  private Process process;
  private Path log;
  private int starts;

  /**
   * @param module the Maven module whose packaged jar runs, e.g. {@code intake-service}
   * @param environment every setting, as {@link ServiceEnvironments} names them
   */
  ServiceProcess(String name, String module, int port, Map<String, String> environment) {
    this.name = name;
    this.jar = packagedJar(module);
    this.port = port;
    this.environment = Map.copyOf(environment);
  }

  /**
   * The module's packaged jar. The suite's command ({@code mvn verify}) packages every module
   * before the devstack's tests run; a run of these tests alone needs {@code mvn package} first.
   */
  static Path packagedJar(String module) {
    // Maven runs the tests in the module's directory and says so in basedir; the root is above.
    Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();
    Path target = root.resolve(module).resolve("target");
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().matches(module + "-[0-9].*\\.jar"))
          .filter(p -> Files.isDirectory(target.resolve("lib")))
          // The newest, if an older version's jar is still lying there.
          .max(java.util.Comparator.comparing(ServiceProcess::modified))
          .orElseThrow(() -> new IllegalStateException(missing(module, target)));
    } catch (IOException e) {
      throw new IllegalStateException(missing(module, target), e);
    }
  }

  private static java.nio.file.attribute.FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return java.nio.file.attribute.FileTime.fromMillis(0);
    }
  }

  private static String missing(String module, Path target) {
    return "no packaged "
        + module
        + " in "
        + target
        + ": run `mvn -q -B -DskipTests package` first (the suite's `mvn verify` does)";
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  void start() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.lineup");
    command.add("-jar");
    command.add(jar.toString());
    Path logs = Files.createDirectories(Path.of("target", "service-logs"));
    log = logs.resolve(name + "-" + (++starts) + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // Only what the service is given: nothing of this JVM's own settings leaks in.
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("LINEUP_") || k.startsWith("MICRONAUT_"));
    builder.environment().putAll(environment);
    process = builder.start();
  }

  void awaitHealthy(Duration within) {
    await()
        .atMost(within)
        .pollInterval(Duration.ofMillis(500))
        .alias(name + " healthy (" + log + ")")
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited: " + logTail(40));
              }
              return health() == 200;
            });
  }

  /** {@code GET /health}'s body, or "" if the service does not answer. */
  String healthBody() {
    HttpResponse<String> answer = healthAnswer();
    return answer == null ? "" : answer.body();
  }

  /** {@code GET /health}'s status, or -1 if the service does not answer. */
  int health() {
    HttpResponse<String> answer = healthAnswer();
    return answer == null ? -1 : answer.statusCode();
  }

  private HttpResponse<String> healthAnswer() {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(url().resolve("/health")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * The container health check ({@code dev.lineup.service.http.HealthProbe}) run as its own process
   * on the service's class path: its exit code.
   */
  int probe() throws IOException, InterruptedException {
    Process check =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                jar.toString(),
                "dev.lineup.service.http.HealthProbe",
                url().resolve("/health").toString())
            .redirectErrorStream(true)
            .start();
    if (!check.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
      check.destroyForcibly();
      return -1;
    }
    return check.exitValue();
  }

  /** SIGKILL, as the kernel's OOM killer or a pulled plug would stop it. */
  void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor();
      assertThat(process.exitValue()).as(name + " killed by SIGKILL").isEqualTo(137);
    }
  }

  /** SIGTERM, as Kubernetes or compose stops it; the exit code it ended with. */
  int terminate(Duration within) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " did not stop within " + within + " of SIGTERM");
    }
    return process.exitValue();
  }

  /** The exit code, once the process ended within {@code within}; null if it still runs. */
  Integer exitWithin(Duration within) throws InterruptedException {
    return process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        ? process.exitValue()
        : null;
  }

  /** SIGTERM to each, as an orchestrator stops them: each must be gone within 30 s, cleanly. */
  static void assertEachStopsOnSigterm(List<ServiceProcess> services) throws InterruptedException {
    for (ServiceProcess service : services) {
      int exit = service.terminate(Duration.ofSeconds(30));
      assertThat(exit).as(service.name + " exit code after SIGTERM").isIn(0, 143);
    }
  }

  /** Each one's last 60 lines on stderr, for a test that failed. */
  static void printLogTails(List<ServiceProcess> services) {
    for (ServiceProcess service : services) {
      System.err.println(service.logTail(60));
    }
  }

  /** SIGKILL to those still running, whatever the test's outcome. */
  static void killAll(List<ServiceProcess> services) throws InterruptedException {
    for (ServiceProcess service : services) {
      service.kill();
    }
  }

  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return "--- "
          + log
          + "\n"
          + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "--- " + log + ": " + e;
    }
  }

  String log() throws IOException {
    return Files.readString(log);
  }
}
