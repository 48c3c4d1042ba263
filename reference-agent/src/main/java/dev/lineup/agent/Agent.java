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
 */
@Command(
    name = "lineup-agent",
    mixinStandardHelpOptions = true,
    description = "Runs Lineup tasks for a host, or simulates many hosts.")
public final class Agent implements Callable<Integer>, AutoCloseable {

  @Option(
      names = "--gateway",
      defaultValue = "http://localhost:8081",
      description = "Executor gateway URL (default: ${DEFAULT-VALUE}).")
  URI gateway;

  @Option(names = "--host-id", description = "This host's id (default: the machine's hostname).")
  String hostId;

  @Option(names = "--enroll-secret", description = "Enroll secret (default: LINEUP_ENROLL_SECRET).")
  String enrollSecret;

  @Option(
      names = "--simulate",
      defaultValue = "0",
      description = "Simulate this many hosts instead of running tasks here.")
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
      names = "--heartbeat-every",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "Heartbeat interval while a task runs.")
  Duration heartbeatEvery;

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong completed = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();

  public static void main(String[] args) {
    System.exit(new CommandLine(new Agent()).execute(args));
  }

  /** Simulated hosts {@code prefix0..prefix(n-1)}, started in the background; close to stop. */
  public static Agent simulate(
      URI gateway, String enrollSecret, int hosts, String prefix, Duration delay) throws Exception {
    Agent agent = new Agent();
    agent.gateway = gateway;
    agent.enrollSecret = enrollSecret;
    agent.simulate = hosts;
    agent.hostPrefix = prefix;
    agent.delay = delay;
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
    GatewayClient client = new GatewayClient(gateway);
    client.enroll(hostId, agent.secret());
    TaskRunner runner = new TaskRunner(client, workDir, agent.heartbeatEvery);
    agent.spawn("agent-" + hostId, () -> agent.serve(client, Optional.of(runner)));
    return agent;
  }

  public long completed() {
    return completed.get();
  }

  @Override
  public Integer call() throws Exception {
    if (simulate > 0) {
      startSimulated();
      System.out.printf("simulating %d hosts against %s%n", simulate, gateway);
    } else {
      String host = hostId != null ? hostId : java.net.InetAddress.getLocalHost().getHostName();
      Path dir = workDir != null ? workDir : Files.createTempDirectory("lineup-agent-");
      GatewayClient client = new GatewayClient(gateway);
      client.enroll(host, secret());
      System.out.printf("agent for %s polling %s, scripts run in %s%n", host, gateway, dir);
      TaskRunner runner = new TaskRunner(client, dir, heartbeatEvery);
      spawn("agent-" + host, () -> serve(client, Optional.of(runner)));
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::close));
    for (Thread t : threads) {
      t.join();
    }
    return 0;
  }

  private void startSimulated() throws Exception {
    for (int i = 0; i < simulate; i++) {
      GatewayClient client = new GatewayClient(gateway);
      client.enroll(hostPrefix + i, secret());
      spawn("sim-" + i, () -> serve(client, Optional.empty()));
    }
  }

  private void spawn(String name, Runnable loop) {
    Thread t = new Thread(loop, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** The poll loop of one host: a runner runs tasks, no runner simulates them. */
  private void serve(GatewayClient client, Optional<TaskRunner> runner) {
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
