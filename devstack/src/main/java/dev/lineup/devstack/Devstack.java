package dev.lineup.devstack;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.schemas.TopicProvisioner;
import dev.lineup.service.auth.TokenHashes;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Lineup in one process: a real single-node KRaft broker, a real PostgreSQL, every topic, and the
 * three services. Ctrl-C stops the services, then the broker, then the database.
 */
@Command(
    name = "devstack",
    mixinStandardHelpOptions = true,
    description =
        "Runs Lineup locally: embedded Kafka, embedded PostgreSQL and the three services.")
public final class Devstack implements Callable<Integer> {

  @Option(
      names = "--data-dir",
      description = "Keep all state here across restarts (default: a fresh temp dir).")
  Path dataDir;

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      description = "Kafka listener port (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(
      names = "--postgres-port",
      defaultValue = "0",
      description = "PostgreSQL port (default: a free one).")
  int postgresPort;

  @Option(
      names = "--intake-port",
      defaultValue = "8080",
      description = "Intake HTTP port (default: ${DEFAULT-VALUE}).")
  int intakePort;

  @Option(
      names = "--gateway-port",
      defaultValue = "8081",
      description = "Gateway HTTP port (default: ${DEFAULT-VALUE}).")
  int gatewayPort;

  @Option(
      names = "--sequencer-port",
      defaultValue = "8082",
      description = "Sequencer HTTP port (default: ${DEFAULT-VALUE}).")
  int sequencerPort;

  @Option(
      names = "--partitions",
      defaultValue = "6",
      description = "Partitions of every topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--admin-token",
      description = "Admin API token (default: LINEUP_ADMIN_TOKEN, else generated).")
  String adminToken;

  @Option(
      names = "--enroll-secret",
      description = "Agent enroll secret (default: LINEUP_ENROLL_SECRET, else generated).")
  String enrollSecret;

  @Option(
      names = "--simulated-agents",
      defaultValue = "0",
      description = "Start this many simulated hosts (sim-host-0, ...) that complete every task.")
  int simulatedAgents;

  @Option(
      names = "--infra-only",
      description =
          "Start only the broker and PostgreSQL, and print how to run each service apart against"
              + " them (its environment and command).")
  boolean infraOnly;

  private final PrintStream out;

  Devstack(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Devstack(System.out)).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("lineup-devstack-");
    if (dataDir == null) {
      // A throwaway directory on purpose: Kafka Streams' warning about state kept in the temp
      // directory would be the only line of a normal run.
      quiet("org.apache.kafka.streams.processor.internals.StateDirectory");
    }
    Files.createDirectories(dir);
    String admin =
        firstOf(
            adminToken, System.getenv("LINEUP_ADMIN_TOKEN"), TokenHashes.newToken("lineup_admin"));
    String enroll =
        firstOf(
            enrollSecret,
            System.getenv("LINEUP_ENROLL_SECRET"),
            TokenHashes.newToken("lineup_enroll"));

    // One shutdown hook, from the moment PostgreSQL runs: it stops whatever has started by then,
    // the services before the broker and the database (theirs would run at the same time).
    Started started = new Started();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println(
                      started.services == null && infraOnly
                          ? "Lineup's infrastructure is stopping..."
                          : "Lineup is stopping...");
                  started.stop();
                  stopped.countDown();
                },
                "devstack-shutdown"));
    try {
      started.database = EmbeddedDatabase.start(dir, postgresPort, false);
      started.kafka =
          EmbeddedKafka.start(
              dir, kafkaPort, Map.of("num.partitions", Integer.toString(partitions)));
      TopicProvisioner.provision(started.kafka.bootstrapServers(), partitions, (short) 1);
      if (infraOnly) {
        return runInfrastructureOnly(started.kafka, started.database, dir, admin, enroll, stopped);
      }
      started.services =
          LineupServices.start(
              new LineupServices.Settings(
                  started.kafka.bootstrapServers(),
                  started.database,
                  dir,
                  admin,
                  enroll,
                  intakePort,
                  gatewayPort,
                  sequencerPort,
                  // Static membership: after a kill -9 the restarted services take their partitions
                  // back at once instead of waiting out their old selves' sessions (45 s).
                  Map.of(
                      "lineup.sequencer.instance-id", "devstack-sequencer",
                      "lineup.gateway.instance-id", "devstack-gateway",
                      // Every agent of a devstack, simulated or not, comes from this machine: one
                      // address's budget would throttle a few hundred enrolling at once.
                      "lineup.rate-limit.per-address.per-second", "10000",
                      "lineup.rate-limit.per-address.burst", "10000",
                      "lineup.secrets-key", secretsKey(dir))));
      started.services.awaitHealthy(Duration.ofMinutes(2));
      if (simulatedAgents > 0) {
        // Their host tokens live in the data directory: a restart on it keeps them enrolled.
        started.agents =
            dev.lineup.agent.Agent.simulate(
                started.services.gatewayUrl(),
                enroll,
                simulatedAgents,
                "sim-host-",
                Duration.ZERO,
                dir.resolve("agent-tokens"));
      }
    } catch (Exception | Error e) {
      started.stop();
      throw e;
    }
    printReady(started.services, started.kafka, dir, admin, enroll);
    if (started.agents != null) {
      out.printf(
          "  %d simulated hosts (sim-host-0 .. sim-host-%d) complete every task they get%n",
          simulatedAgents, simulatedAgents - 1);
    }
    stopped.await();
    return 0;
  }

  /**
   * LINEUP_SECRETS_KEY, or the key kept in the data directory (made on its first run, readable by
   * its owner only): secrets stored on a --data-dir stay readable across restarts.
   */
  private static String secretsKey(Path dir) throws java.io.IOException {
    String given = System.getenv("LINEUP_SECRETS_KEY");
    if (given != null && !given.isBlank()) {
      return given;
    }
    Path file = dir.resolve("secrets.key");
    if (Files.exists(file)) {
      return Files.readString(file).trim();
    }
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    String encoded = java.util.Base64.getEncoder().encodeToString(key);
    Files.writeString(file, encoded + "\n");
    try {
      Files.setPosixFilePermissions(
          file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the directory's own permissions guard it.
    }
    return encoded;
  }

  /** What has started so far, stopped in the reverse order, once. */
  private static final class Started {
    volatile EmbeddedDatabase database;
    volatile EmbeddedKafka kafka;
    volatile LineupServices services;
    volatile dev.lineup.agent.Agent agents;
    private boolean done;

    synchronized void stop() {
      if (done) {
        return;
      }
      done = true;
      try {
        if (agents != null) {
          agents.close();
        }
        if (services != null) {
          services.close();
        }
      } finally {
        try {
          if (kafka != null) {
            kafka.close();
          }
        } finally {
          try {
            if (database != null) {
              database.close();
            }
          } catch (java.io.IOException e) {
            System.err.println("PostgreSQL did not stop cleanly: " + e.getMessage());
          }
        }
      }
    }
  }

  /** The broker and database stay up until Ctrl-C; the services are the reader's to start. */
  private int runInfrastructureOnly(
      EmbeddedKafka kafka,
      EmbeddedDatabase database,
      Path dir,
      String admin,
      String enroll,
      CountDownLatch stopped)
      throws Exception {
    var environments = ServiceEnvironments.on(kafka.bootstrapServers(), database, admin, enroll);
    out.printf(
        "Lineup's infrastructure is ready: kafka %s  postgres %s (user %s)  data %s%n",
        kafka.bootstrapServers(), database.jdbcUrl(""), database.user(), dir);
    out.println(
        "Run each service apart, from the repository root after `mvn -q -B -DskipTests package`:");
    printCommand(
        "intake",
        environments.intake(0, intakePort, "http://127.0.0.1:" + sequencerPort),
        "intake-service",
        "intake-service");
    printCommand(
        "sequencer",
        environments.sequencer(0, sequencerPort, dir.resolve("sequencer-0")),
        "sequencer-service",
        "sequencer-service");
    printCommand(
        "gateway",
        environments.gateway(0, gatewayPort, "http://127.0.0.1:" + intakePort),
        "executor-gateway",
        "executor-gateway");
    out.printf(
        "  agent:     LINEUP_ENROLL_SECRET=%s java -jar reference-agent/target/reference-agent-*.jar"
            + " --gateway http://127.0.0.1:%d%n",
        enroll, gatewayPort);
    out.println(
        "A second sequencer or gateway: the same with another port, instance id and state"
            + " directory.");
    stopped.await();
    return 0;
  }

  private void printCommand(
      String name, Map<String, String> environment, String module, String artifact) {
    StringBuilder line = new StringBuilder(String.format("  %-11s", name + ":"));
    environment.forEach((k, v) -> line.append(k).append('=').append(v).append(' '));
    line.append("java -jar ").append(module).append("/target/").append(artifact).append("-*.jar");
    out.println(line);
  }

  private void printReady(
      LineupServices s, EmbeddedKafka kafka, Path dir, String admin, String enroll) {
    out.printf(
        "Lineup is ready: intake %s  gateway %s  sequencer %s  kafka %s  data %s%n",
        s.intakeUrl(), s.gatewayUrl(), s.sequencerUrl(), kafka.bootstrapServers(), dir);
    out.printf("  admin token:   %s%n  enroll secret: %s%n", admin, enroll);
    out.printf("  ops page:      %s/ui/ (sign in with the admin token)%n", s.intakeUrl());
    out.printf(
        "  try: curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' "
            + "-d '{\"type\":\"script_run\",\"payload\":{\"script\":\"echo hello\"}}' %s/v1/hosts/host-1/activities%n",
        admin, s.intakeUrl());
  }

  /** Services first (they talk to the broker), then the broker, then the database. */
  /** Only errors from {@code logger}, where logback is the backend (it always is here). */
  private static void quiet(String logger) {
    if (org.slf4j.LoggerFactory.getLogger(logger) instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }

  private static String firstOf(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    throw new IllegalStateException("no value");
  }
}
