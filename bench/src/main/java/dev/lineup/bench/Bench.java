package dev.lineup.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.devstack.LineupServices;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.schemas.TopicProvisioner;
import dev.lineup.sequencer.SequencerRuntime;
import dev.lineup.sequencer.stream.QueueStoreKind;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Lineup's end-to-end throughput and hand-off latency beside a SQL queue's, on this machine, with
 * the contract checked while it runs. Prints numbers; a run that breaks the contract fails.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measures Lineup against a SQL queue.")
public final class Bench implements Callable<Integer> {

  @Option(
      names = "--hosts",
      defaultValue = "500",
      description = "Hosts (default: ${DEFAULT-VALUE}).")
  int hosts;

  @Option(
      names = "--per-host",
      defaultValue = "20",
      description = "Activities per host (default: ${DEFAULT-VALUE}).")
  int perHost;

  @Option(
      names = "--partitions",
      defaultValue = "6",
      description = "Partitions of every topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--sql-workers",
      defaultValue = "4",
      description = "SQL baseline enqueuer and device threads each.")
  int sqlWorkers;

  @Option(
      names = "--depth-cycles",
      defaultValue = "5000",
      description = "Cycles per depth in the depth sweep.")
  int depthCycles;

  @Option(
      names = "--commit-interval",
      defaultValue = "30ms",
      description = "The sequencer's exactly-once commit interval (default: ${DEFAULT-VALUE}).")
  String commitInterval;

  @Option(
      names = "--handoff-commit-spacing",
      description =
          "The sequencer's least time between two commits asked for by releases (0ms: the commit"
              + " interval alone; default: the sequencer's own).")
  String handoffCommitSpacing;

  @Option(
      names = "--warmup-runs",
      defaultValue = "3",
      description =
          "Uncounted runs of the workload before the measured one (default: ${DEFAULT-VALUE}).")
  int warmupRuns;

  @Option(
      names = "--http-requests",
      defaultValue = "1000",
      description =
          "Sequential HTTP enqueues timed for enqueue latency (default: ${DEFAULT-VALUE}).")
  int httpRequests;

  @Option(
      names = "--sequencer-kafka",
      description = "A Kafka Streams or client property for the sequencer, key=value; repeatable.")
  Map<String, String> sequencerKafka = new java.util.LinkedHashMap<>();

  @Option(
      names = "--property",
      description =
          "A setting for the in-process services, key=value (lineup.intake.front-door.hold-back-at"
              + "=2000, say); repeatable, applied last.")
  Map<String, String> property = new java.util.LinkedHashMap<>();

  @Option(
      names = "--timeline",
      description = "Print what the measured run did in each half second.")
  boolean timeline;

  @Option(names = "--skip-sql", description = "Skip the SQL baseline.")
  boolean skipSql;

  @Option(names = "--skip-depth", description = "Skip the depth sweep.")
  boolean skipDepth;

  @Option(
      names = "--scale",
      description =
          "Run only the scale test: this many paused hosts, each with --scale-per-host upcoming"
              + " activities, then a restore from the changelogs.")
  int scaleHosts;

  @Option(
      names = "--scale-per-host",
      defaultValue = "10",
      description = "Upcoming activities per host in the scale test (default: ${DEFAULT-VALUE}).")
  int scalePerHost;

  @Option(
      names = "--scale-failover",
      description =
          "With --scale: then a standby's takeover. A second instance copies the state as a"
              + " standby replica, the first stops without leaving the group, and the run reports"
              + " how long until the second runs every task.")
  boolean scaleFailover;

  @Option(
      names = "--device-delay-ms",
      defaultValue = "0",
      description = "How long a simulated device runs each activity (default: ${DEFAULT-VALUE}).")
  long deviceDelayMillis;

  /** A running Lineup to measure instead of the in-process one. */
  static final class Cluster {
    @Option(
        names = "--bootstrap",
        description = "Measure a running Lineup: its Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--intake-url", description = "With --bootstrap: intake's base URL.")
    java.net.URI intakeUrl;

    @Option(
        names = "--token",
        description = "With --bootstrap: an operator or admin token for intake.")
    String token;
  }

  @CommandLine.ArgGroup(exclusive = false, heading = "%nA running Lineup instead of in process:%n")
  Cluster cluster = new Cluster();

  @Option(names = "--keep-data", description = "Keep the run's broker, database and state files.")
  boolean keepData;

  @Option(names = "--depth-only", description = "Run only the depth sweep (no broker needed).")
  boolean depthOnly;

  @Option(
      names = "--steady",
      description =
          "After the burst: open-loop steady state. Offer activities at fixed rates over --hosts"
              + " (each rate on hosts of its own), find the highest rate each queue sustains with"
              + " a flat backlog, and the latencies at half of it.")
  boolean steady;

  @Option(names = "--skip-burst", description = "With --steady: only the steady state.")
  boolean skipBurst;

  private SteadyLoad.Capacity steadyLineup;
  private SteadyLoad.Capacity steadySql;

  @Option(
      names = "--steady-warmup-seconds",
      defaultValue = "10",
      description = "Per rate, offered before the window is measured (default: ${DEFAULT-VALUE}).")
  int steadyWarmupSeconds;

  @Option(
      names = "--steady-seconds",
      defaultValue = "60",
      description = "Per rate, the measured window (default: ${DEFAULT-VALUE}).")
  int steadySeconds;

  @Option(
      names = "--steady-start-rate",
      defaultValue = "250",
      description = "The first rate tried, in activities a second (default: ${DEFAULT-VALUE}).")
  double steadyStartRate;

  @Option(
      names = "--steady-max-rate",
      defaultValue = "16000",
      description = "The search stops doubling here (default: ${DEFAULT-VALUE}).")
  double steadyMaxRate;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (depthOnly) {
      depthSweep();
      return 0;
    }
    Path dir = Files.createTempDirectory("lineup-bench-");
    try {
      return run(dir);
    } finally {
      if (keepData) {
        System.out.printf("data kept in %s%n", dir);
      } else {
        deleteRecursively(dir);
      }
    }
  }

  /**
   * The queue store of the scale run and the depth sweep, which build their sequencers themselves:
   * {@code --property lineup.sequencer.state-store=heap}, say.
   */
  private QueueStoreKind queueStore() {
    return QueueStoreKind.of(property.getOrDefault("lineup.sequencer.state-store", "rocksdb"));
  }

  private int run(Path dir) throws Exception {
    if (skipBurst && !steady) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--skip-burst needs --steady");
    }
    try (EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0)) {
      postmasterPid = dir.toAbsolutePath().resolve("postgres/postmaster.pid");
      LineupRun.Outcome lineup = null;
      if (cluster.bootstrap != null) {
        if (scaleHosts > 0) {
          new ScaleRun(
                  cluster.bootstrap, dir, scaleHosts, scalePerHost, scaleFailover, queueStore())
              .run();
          return 0;
        }
        if (cluster.intakeUrl == null || cluster.token == null) {
          throw new CommandLine.ParameterException(
              new CommandLine(this), "--bootstrap needs --intake-url and --token");
        }
        if (!skipBurst) {
          System.out.printf(
              "workload: %d hosts x %d activities against %s%n", hosts, perHost, cluster.bootstrap);
          lineup = measure(cluster.bootstrap, cluster.intakeUrl, cluster.token, null);
        }
        if (steady) {
          steadyLineup = steadyLineup(cluster.bootstrap);
        }
      } else {
        System.out.printf(
            "workload: %d hosts x %d activities, in process, %d partitions, exactly-once on%n",
            hosts, perHost, partitions);
        try (EmbeddedKafka kafka =
            EmbeddedKafka.start(dir, 0, Map.of("num.partitions", Integer.toString(partitions)))) {
          TopicProvisioner.provision(kafka.bootstrapServers(), partitions, (short) 1);
          if (scaleHosts > 0) {
            new ScaleRun(
                    kafka.bootstrapServers(),
                    dir,
                    scaleHosts,
                    scalePerHost,
                    scaleFailover,
                    queueStore())
                .run();
            return 0;
          }
          String admin = "bench-admin-token-0123456789";
          try (LineupServices services =
              LineupServices.start(
                  new LineupServices.Settings(
                      kafka.bootstrapServers(),
                      database,
                      dir,
                      admin,
                      "bench-enroll-secret-0123456789",
                      0,
                      0,
                      0,
                      serviceProperties()))) {
            services.awaitHealthy(Duration.ofMinutes(2));
            if (!skipBurst) {
              lineup =
                  measure(
                      kafka.bootstrapServers(),
                      services.intakeUrl(),
                      admin,
                      services.sequencer().getBean(SequencerRuntime.class).streams());
            }
            if (steady) {
              steadyLineup = steadyLineup(kafka.bootstrapServers());
            }
          }
        }
      }
      if (lineup != null) {
        report(lineup);
      }
      LineupRun.Outcome sql = null;
      LineupRun.Outcome fleetStyle = null;
      if (!skipSql) {
        database.ensureDatabase("sql_baseline");
        try (HikariDataSource db = new HikariDataSource()) {
          db.setJdbcUrl(database.jdbcUrl("sql_baseline"));
          db.setUsername(database.user());
          db.setMaximumPoolSize(sqlWorkers * 2 + 2);
          if (lineup != null) {
            BoxCpu box = new BoxCpu(postmasterPid);
            sql =
                new SqlQueueRun(
                        db, new MinimalSqlQueue(), hosts, perHost, sqlWorkers, deviceDelay())
                    .run();
            sqlBox = box.stop(sql.activities());
            print("sql-baseline", sql);
            if (sqlBox != null) {
              System.out.println(sqlBox.summary("sql-baseline"));
            }
            fleetStyle =
                new SqlQueueRun(
                        db, new FleetStyleSqlQueue(), hosts, perHost, sqlWorkers, deviceDelay())
                    .run();
            print("fleet-style-sql", fleetStyle);
          }
          if (steady) {
            steadySql(db);
          }
        }
      }
      if (lineup != null) {
        System.out.printf("peak heap: %d MiB%n", peakHeapMiB());
      }
      if (!skipDepth && !skipBurst) {
        depthSweep();
      }
      if (steadyCpu(steadyLineup) != null) {
        // The last lines' CPU is the burst's, JIT included; this is where every queue runs warm.
        System.out.printf(
            "cpu per activity at steady capacity, whole box: lineup %.0f us, sql %s us%n",
            steadyCpu(steadyLineup).perActivity(),
            steadyCpu(steadySql) == null
                ? "n/a"
                : String.format("%.0f", steadyCpu(steadySql).perActivity()));
      }
      // The run's last lines, in this order: burst, Fleet-style burst, steady state, CPU.
      if (sql != null) {
        System.out.printf(
            "lineup %.0f act/s, sql-baseline %.0f act/s, ratio %.2f; handoff p99 lineup %.1f ms, sql %.1f ms%n",
            lineup.perSecond(),
            sql.perSecond(),
            lineup.perSecond() / sql.perSecond(),
            millis(lineup.handoff(), 99),
            millis(sql.handoff(), 99));
        System.out.printf(
            "fleet-style-sql %.0f act/s, ratio %.2f%n",
            fleetStyle.perSecond(), lineup.perSecond() / fleetStyle.perSecond());
      }
      if (steadyLineup != null && steadySql != null) {
        System.out.printf(
            "steady capacity lineup %.0f act/s, sql %.0f act/s; handoff p99 at half capacity lineup"
                + " %s ms, sql %s ms%n",
            steadyLineup.rate(), steadySql.rate(), halfP99(steadyLineup), halfP99(steadySql));
      } else if (steadyLineup != null) {
        System.out.printf(
            "steady capacity lineup %.0f act/s; handoff p99 at half capacity lineup %s ms%n",
            steadyLineup.rate(), halfP99(steadyLineup));
      }
      if (lineupBox != null && sqlBox != null) {
        System.out.printf(
            "cpu per activity, whole box: lineup %.0f us, sql %.0f us%n",
            lineupBox.perActivity(), sqlBox.perActivity());
      }
    }
    return 0;
  }

  /** The steady-state capacity search against Lineup's running services. */
  private SteadyLoad.Capacity steadyLineup(String bootstrap) throws Exception {
    System.out.printf(
        "steady state: %d hosts per step, %d s warm-up (%d s for a search's first rate) and %d s"
            + " measured per rate%n",
        hosts, steadyWarmupSeconds, steadyWarmupSeconds * SteadyLoad.FIRST_WARMUP, steadySeconds);
    try (LineupSteadyTarget target = new LineupSteadyTarget(bootstrap)) {
      return steadyLoad().capacity(target, steadyStartRate, steadyMaxRate);
    }
  }

  /**
   * The same search for both SQL queues on the bench's PostgreSQL; the Fleet-style queue's answer
   * is printed here, the minimal queue's in the run's last lines.
   */
  private void steadySql(HikariDataSource db) throws Exception {
    try (SqlSteadyTarget target = new SqlSteadyTarget(db, new MinimalSqlQueue(), sqlWorkers)) {
      steadySql = steadyLoad().capacity(target, steadyStartRate, steadyMaxRate);
    }
    SteadyLoad.Capacity fleet;
    try (SqlSteadyTarget target = new SqlSteadyTarget(db, new FleetStyleSqlQueue(), sqlWorkers)) {
      fleet = steadyLoad().capacity(target, steadyStartRate, steadyMaxRate);
    }
    System.out.printf(
        "steady capacity fleet-style-sql %.0f act/s; handoff p99 at half capacity %s ms%n",
        fleet.rate(), halfP99(fleet));
  }

  private SteadyLoad steadyLoad() {
    return new SteadyLoad(
        hosts,
        Duration.ofSeconds(steadyWarmupSeconds),
        Duration.ofSeconds(steadySeconds),
        postmasterPid);
  }

  private static BoxCpu.Result steadyCpu(SteadyLoad.Capacity capacity) {
    return capacity == null || capacity.atCapacity() == null ? null : capacity.atCapacity().cpu();
  }

  private static String halfP99(SteadyLoad.Capacity capacity) {
    // At low rates a host's next activity often arrives after its last result: no hand-off.
    return capacity.half() == null || capacity.half().handoff().getTotalCount() == 0
        ? "n/a"
        : String.format("%.1f", capacity.half().handoff().getValueAtPercentile(99) / 1e6);
  }

  /** Warm-up runs, the measured run, then the HTTP enqueue latency, against running services. */
  private LineupRun.Outcome measure(
      String bootstrap, java.net.URI intake, String token, KafkaStreams sequencer)
      throws Exception {
    // A fresh JVM spends its first minute compiling, and on two cores the compiler takes a third
    // of the machine (measured): warm up on the same workload shape.
    for (int i = 0; i < warmupRuns; i++) {
      LineupRun.Outcome warmup =
          new LineupRun(bootstrap, intake, token, hosts, perHost, deviceDelay()).run();
      System.out.printf("warm-up %d: %.0f act/s (not counted)%n", i + 1, warmup.perSecond());
    }
    LineupRun.Outcome lineup;
    ProcessTime cpu = new ProcessTime();
    BoxCpu[] box = new BoxCpu[1];
    if (sequencer == null) {
      lineup =
          new LineupRun(bootstrap, intake, token, hosts, perHost, deviceDelay())
              .run(
                  () -> {
                    cpu.restart();
                    box[0] = new BoxCpu(postmasterPid);
                  });
    } else {
      try (ThreadTime time = new ThreadTime(sequencer)) {
        lineup =
            new LineupRun(bootstrap, intake, token, hosts, perHost, deviceDelay())
                .run(
                    () -> {
                      cpu.restart();
                      time.restart();
                      box[0] = new BoxCpu(postmasterPid);
                    });
        System.out.println(time.summary(lineup.activities()));
      }
    }
    lineupBox = box[0] == null ? null : box[0].stop(lineup.activities());
    System.out.println(cpu.summary(lineup.activities()));
    if (lineupBox != null) {
      System.out.println(lineupBox.summary("lineup"));
    }
    Histogram enqueue = httpEnqueueLatency(intake, token, httpRequests);
    System.out.printf(
        "http enqueue (202 once durable on Kafka): p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d requests%n",
        millis(enqueue, 50),
        millis(enqueue, 99),
        enqueue.getMaxValue() / 1e6,
        enqueue.getTotalCount());
    return lineup;
  }

  private void report(LineupRun.Outcome lineup) {
    if (timeline) {
      System.out.print(lineup.timeline().render());
    }
    print("lineup", lineup);
    System.out.printf(
        "lineup handoff split at the release (ms): result -> sequencer released the next p50 %d,"
            + " p99 %d; released -> seen by the device p50 %d, p99 %d%n",
        lineup.toSequencer().getValueAtPercentile(50),
        lineup.toSequencer().getValueAtPercentile(99),
        lineup.toDevice().getValueAtPercentile(50),
        lineup.toDevice().getValueAtPercentile(99));
    System.out.printf(
        "lineup: the sequencer had accepted half the workload after %.1f s, all of it after %.1f s%n",
        lineup.accepted().getValueAtPercentile(50) / 1e9, lineup.accepted().getMaxValue() / 1e9);
  }

  /** The bench's PostgreSQL's pid file, for the whole-box CPU's split. */
  private Path postmasterPid;

  /** The whole box's CPU over the measured runs (null off Linux). */
  private BoxCpu.Result lineupBox;

  private BoxCpu.Result sqlBox;

  private Duration deviceDelay() {
    return Duration.ofMillis(deviceDelayMillis);
  }

  /** The broker log, PostgreSQL and state stores of a run: gigabytes after a scale run. */
  private static void deleteRecursively(Path dir) throws java.io.IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private void depthSweep() throws Exception {
    QueueStoreKind store = queueStore();
    Map<Integer, Double> sweep = DepthSweep.run(new int[] {1, 100, 10_000}, depthCycles, store);
    double base = sweep.get(1);
    sweep.forEach(
        (depth, micros) ->
            System.out.printf(
                "depth %6d: %8.1f us per enqueue+result+release, %.2fx depth 1 (%s store)%n",
                depth, micros, micros / base, store.name().toLowerCase(Locale.ROOT)));
  }

  private Map<String, Object> serviceProperties() {
    Map<String, Object> properties = new java.util.HashMap<>();
    // The bench's one token sends far more than a normal caller.
    properties.put("lineup.rate-limit.per-second", 1_000_000);
    properties.put("lineup.rate-limit.burst", 1_000_000);
    // Its simulated hosts all enroll from one address.
    properties.put("lineup.rate-limit.per-address.per-second", 1_000_000);
    properties.put("lineup.rate-limit.per-address.burst", 1_000_000);
    properties.put("lineup.sequencer.commit-interval", commitInterval);
    if (handoffCommitSpacing != null) {
      properties.put("lineup.sequencer.handoff-commit-spacing", handoffCommitSpacing);
    }
    sequencerKafka.forEach((key, value) -> properties.put("lineup.sequencer.kafka." + key, value));
    properties.putAll(property);
    return properties;
  }

  /** Sequential POSTs of one script each, spread over hosts: the latency a caller sees. */
  private static Histogram httpEnqueueLatency(java.net.URI intake, String token, int requests)
      throws Exception {
    var http =
        java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .build();
    Histogram latency = new Histogram(60_000_000_000L, 3);
    for (int i = 0; i < requests + 100; i++) {
      var request =
          java.net.http.HttpRequest.newBuilder(
                  intake.resolve("/v1/hosts/http-bench-" + (i % 200) + "/activities"))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json")
              .POST(
                  java.net.http.HttpRequest.BodyPublishers.ofString(
                      "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo " + i + "\"}}"))
              .build();
      long start = System.nanoTime();
      var answer = http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding());
      if (answer.statusCode() != 202) {
        throw new IllegalStateException("enqueue answered " + answer.statusCode());
      }
      if (i >= 100) { // the first hundred warm up
        latency.recordValue(System.nanoTime() - start);
      }
    }
    return latency;
  }

  private static void print(String name, LineupRun.Outcome o) {
    Histogram h = o.handoff();
    System.out.printf(
        "%s: %d activities in %.1f s = %.0f act/s; handoff p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples)%n",
        name,
        o.activities(),
        o.seconds(),
        o.perSecond(),
        millis(h, 50),
        millis(h, 99),
        h.getMaxValue() / 1e6,
        h.getTotalCount());
  }

  private static double millis(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1e6;
  }

  private static long peakHeapMiB() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak / (1024 * 1024);
  }
}
