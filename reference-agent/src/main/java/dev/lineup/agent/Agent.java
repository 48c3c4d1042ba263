package dev.lineup.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The reference agent. One host: enrolls, long-polls, runs each task and reports it. With {@code
 * --simulate N}: N hosts in one process, each reporting every task succeeded at once (or after
 * {@code --delay}), for demos, tests and benchmarks.
 *
 * <p>Host tokens are kept in {@code --token-dir} and used again on the next start: a host enrolled
 * before cannot enroll again without its token (the gateway answers 409, so that the fleet-wide
 * enroll secret cannot take a host over). If the gateway stops knowing a token (an admin reset the
 * host's enrollment), the agent enrolls again showing it.
 */
@Command(
    name = "lineup-agent",
    mixinStandardHelpOptions = true,
    description = "Runs Lineup tasks for a host, or simulates many hosts.")
public final class Agent implements Callable<Integer>, AutoCloseable {

  @Option(
      names = "--gateway",
      defaultValue = "${env:LINEUP_GATEWAY_URL:-http://localhost:8081}",
      description = "Executor gateway URL (env LINEUP_GATEWAY_URL; default: ${DEFAULT-VALUE}).")
  URI gateway;

  @Option(
      names = "--host-id",
      defaultValue = "${env:LINEUP_HOST_ID}",
      description = "This host's id (env LINEUP_HOST_ID; default: the machine's hostname).")
  String hostId;

  @Option(names = "--enroll-secret", description = "Enroll secret (default: LINEUP_ENROLL_SECRET).")
  String enrollSecret;

  @Option(
      names = "--simulate",
      defaultValue = "${env:LINEUP_SIMULATE:-0}",
      description = "Simulate this many hosts instead of running tasks here (env LINEUP_SIMULATE).")
  int simulate;

  @Option(
      names = "--host-prefix",
      defaultValue = "sim-host-",
      description = "Host id prefix of simulated hosts.")
  String hostPrefix;

  @Option(
      names = "--delay",
      defaultValue = "0ms",
      description = "Simulated hosts take this long per task, e.g. 200ms.",
      converter = DurationConverter.class)
  Duration delay;

  @Option(names = "--work-dir", description = "Where scripts run (default: a temp dir).")
  Path workDir;

  @Option(
      names = "--token-dir",
      defaultValue = "${env:LINEUP_TOKEN_DIR}",
      description =
          "Where host tokens are kept between runs (env LINEUP_TOKEN_DIR; default:"
              + " ~/.lineup-agent). A host enrolled before needs its token to enroll again.")
  Path tokenDir;

  @Option(
      names = "--heartbeat-every",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "Heartbeat interval while a task runs.")
  Duration heartbeatEvery;

  private HostTokens tokens;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong completed = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();

  public static void main(String[] args) {
    System.exit(new CommandLine(new Agent()).execute(args));
  }

  /**
   * Simulated hosts {@code prefix0..prefix(n-1)}, started in the background, with their tokens in
   * memory; close to stop.
   */
  public static Agent simulate(
      URI gateway, String enrollSecret, int hosts, String prefix, Duration delay) throws Exception {
    return simulate(gateway, enrollSecret, hosts, prefix, delay, null);
  }

  /** The same, keeping the hosts' tokens in {@code tokenDir} across runs. */
  public static Agent simulate(
      URI gateway, String enrollSecret, int hosts, String prefix, Duration delay, Path tokenDir)
      throws Exception {
    Agent agent = new Agent();
    agent.gateway = gateway;
    agent.enrollSecret = enrollSecret;
    agent.simulate = hosts;
    agent.hostPrefix = prefix;
    agent.delay = delay;
    agent.tokens = new HostTokens(tokenDir);
    agent.startSimulated();
    return agent;
  }

  /** One real host in the background; close to stop. */
  public static Agent forHost(URI gateway, String enrollSecret, String hostId, Path workDir)
      throws Exception {
    Agent agent = new Agent();
    agent.gateway = gateway;
    agent.enrollSecret = enrollSecret;
    agent.hostId = hostId;
    agent.workDir = workDir;
    agent.heartbeatEvery = Duration.ofSeconds(30);
    agent.tokens = new HostTokens(null);
    GatewayClient client = agent.connect(hostId);
    TaskRunner runner = new TaskRunner(client, workDir, agent.heartbeatEvery);
    agent.spawn("agent-" + hostId, () -> agent.serve(hostId, client, Optional.of(runner)));
    return agent;
  }

  public long completed() {
    return completed.get();
  }

  @Override
  public Integer call() throws Exception {
    tokens =
        new HostTokens(
            tokenDir != null
                ? tokenDir
                : Path.of(System.getProperty("user.home"), ".lineup-agent"));
    if (simulate > 0) {
      startSimulated();
      System.out.printf("simulating %d hosts against %s%n", simulate, gateway);
    } else {
      String host = hostId != null ? hostId : java.net.InetAddress.getLocalHost().getHostName();
      Path dir = workDir != null ? workDir : Files.createTempDirectory("lineup-agent-");
      GatewayClient client = connect(host);
      System.out.printf("agent for %s polling %s, scripts run in %s%n", host, gateway, dir);
      TaskRunner runner = new TaskRunner(client, dir, heartbeatEvery);
      spawn("agent-" + host, () -> serve(host, client, Optional.of(runner)));
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::close));
    for (Thread t : threads) {
      t.join();
    }
    return 0;
  }

  private void startSimulated() throws Exception {
    for (int i = 0; i < simulate; i++) {
      String host = hostPrefix + i;
      GatewayClient client = connect(host);
      spawn("sim-" + i, () -> serve(host, client, Optional.empty()));
    }
  }

  /** A client holding the host's token: the one kept from an earlier run, else a new one. */
  private GatewayClient connect(String host) throws IOException, InterruptedException {
    GatewayClient client = new GatewayClient(gateway);
    Optional<String> kept = tokens.of(host);
    if (kept.isPresent()) {
      client.useHostToken(kept.get());
    } else {
      tokens.keep(host, client.enroll(host, secret(), null));
    }
    return client;
  }

  private void spawn(String name, Runnable loop) {
    Thread t = new Thread(loop, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** The poll loop of one host: a runner runs tasks, no runner simulates them. */
  private void serve(String host, GatewayClient client, Optional<TaskRunner> runner) {
    while (running.get()) {
      try {
        Optional<JsonNode> task = client.next(20);
        if (task.isEmpty()) {
          continue;
        }
        if (runner.isPresent()) {
          TaskRunner.Outcome outcome = runner.get().run(task.get());
          client.report(task.get(), outcome.succeeded(), outcome.exitCode(), outcome.output());
        } else {
          if (!delay.isZero()) {
            Thread.sleep(delay.toMillis());
          }
          client.report(task.get(), true, 0, "simulated");
        }
        completed.incrementAndGet();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (GatewayClient.HostTokenRefused e) {
        // The gateway forgot the token (an admin reset the enrollment, or a new database): enroll
        // again, showing it in case it is still the host's.
        try {
          tokens.keep(host, client.enroll(host, secret(), client.hostToken()));
        } catch (GatewayClient.AlreadyEnrolled conflict) {
          System.err.println(conflict.getMessage());
          return;
        } catch (IOException retry) {
          sleepQuietly(1000);
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          return;
        }
      } catch (IOException e) {
        if (running.get()) {
          sleepQuietly(1000);
        }
      }
    }
  }

  private String secret() {
    String secret = enrollSecret != null ? enrollSecret : System.getenv("LINEUP_ENROLL_SECRET");
    if (secret == null || secret.isBlank()) {
      throw new IllegalArgumentException("give --enroll-secret or set LINEUP_ENROLL_SECRET");
    }
    return secret;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running.set(false);
    threads.forEach(Thread::interrupt);
  }

  /** "200ms", "30s", "5m" or an ISO-8601 duration. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(java.util.Locale.ROOT);
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      if (v.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      if (v.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      }
      return Duration.parse(value);
    }
  }
}
