package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.agent.Agent;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import io.micronaut.json.JsonMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docs/CONTRACT.md, Operations, "Metrics": activities run through the whole stack (intake, the
 * sequencer, the gateway and simulated agents), then each service's {@code GET /metrics} is read
 * without a token. Lineup's own series are there and moved, no series names a host or carries a
 * secret, and the text passes {@code promtool check metrics} (Debian's {@code prometheus} package;
 * without promtool this test fails).
 */
@ExtendWith(LineupInfrastructure.class)
class MetricsTest {

  private static final String ADMIN = "metrics-admin-token-0123456789";
  private static final String ENROLL = "metrics-enroll-secret-0123456789";
  private static final int HOSTS = 2;
  private static final int PER_HOST = 3;

  private static LineupServices services;
  private static Agent agents;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("metrics-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                // Counted every second rather than every 30, for the gauge test.
                Map.of("lineup.intake.ledger.gauge-interval", "1s")));
    services.awaitHealthy(Duration.ofMinutes(2));
    agents = Agent.simulate(services.gatewayUrl(), ENROLL, HOSTS, "metrics-host-", Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    if (agents != null) {
      agents.close();
    }
    if (services != null) {
      services.close();
    }
  }

  /** The activities both tests count: enqueued once, run by the simulated agents. */
  private static List<String> ids;

  private static final int N = HOSTS * PER_HOST;

  /** Enqueues {@link #PER_HOST} scripts on each simulated host, once. */
  private static synchronized List<String> runActivities() throws Exception {
    if (ids != null) {
      return ids;
    }
    LineupClient intake =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
    List<String> ids = new ArrayList<>();
    for (int h = 0; h < HOSTS; h++) {
      for (int i = 0; i < PER_HOST; i++) {
        var answer =
            intake.post(
                "/v1/hosts/metrics-host-" + h + "/activities",
                "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo " + i + "\"}}");
        assertThat(answer.status()).isEqualTo(202);
        ids.add(answer.text("activity_id"));
      }
    }
    MetricsTest.ids = ids;
    return ids;
  }

  @Test
  void everyServiceShowsItsMetricsWithoutATokenAndLineupsOwnMoved() throws Exception {
    // The sequencer's dead-letter count is its JVM's, and this one may have run other tests.
    double deadLettersBefore = sum(scrape(services.sequencerUrl()), "lineup_dead_letters_total");
    List<String> ids = runActivities();
    int n = N;
    // Each host's second and third release follow a result: hand-offs.
    int handoffs = HOSTS * (PER_HOST - 1);

    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              String sequencer = scrape(services.sequencerUrl());
              assertThat(sum(sequencer, "lineup_releases_total", "type=\"SCRIPT_RUN\""))
                  .isGreaterThanOrEqualTo(n);
              assertThat(
                      sum(
                          sequencer,
                          "lineup_lifecycle_events_total",
                          "state=\"SUCCEEDED\"",
                          "type=\"SCRIPT_RUN\""))
                  .isGreaterThanOrEqualTo(n);
              assertThat(sum(sequencer, "lineup_handoff_seconds_count"))
                  .isGreaterThanOrEqualTo(handoffs);
            });

    String sequencer = scrape(services.sequencerUrl());
    String intakeText = scrape(services.intakeUrl());
    String gateway = scrape(services.gatewayUrl());

    // From a result's time on lineup.results to the release it let go, with devices that answer at
    // once: well under a second each, and nowhere near the hour results are read ahead by.
    assertThat(
            sum(sequencer, "lineup_handoff_seconds_sum")
                / sum(sequencer, "lineup_handoff_seconds_count"))
        .as("mean hand-off, seconds")
        .isLessThan(10.0);

    // Lineup's own, in every service.
    assertThat(sequencer)
        .contains("lineup_lifecycle_events_total{reason=\"ACCEPTED\",state=\"QUEUED\"")
        .contains("lineup_retries_total{type=\"SCRIPT_RUN\"}")
        .contains("lineup_lease_expiries_total{type=\"SCRIPT_RUN\"}")
        .contains("lineup_handoff_seconds_bucket{le=\"")
        .contains(
            "lineup_dead_letters_total{consumer=\"sequencer\",topic=\"lineup.sequencer.dlq\"}");
    assertThat(intakeText)
        .contains(
            "lineup_dead_letters_total{consumer=\"request-front-door\","
                + "topic=\"lineup.requests.dlq\"}")
        .contains("lineup_consumer_stalled{consumer=\"request-front-door\"} 0.0")
        .containsPattern("lineup_consumer_stalled\\{consumer=\"[^\"]+\"} 0\\.0");
    assertThat(gateway)
        .contains("lineup_dead_letters_total{consumer=\"")
        .contains("topic=\"lineup.gateway.dlq\"}")
        .containsPattern("lineup_consumer_stalled\\{consumer=\"[^\"]+\"} 0\\.0");
    assertThat(sum(sequencer, "lineup_dead_letters_total"))
        .as("dead letters while good activities ran")
        .isEqualTo(deadLettersBefore);

    for (String text : List.of(sequencer, intakeText, gateway)) {
      // The standard ones: JVM, HTTP server, log lines by level and Kafka clients (Streams in
      // the sequencer).
      assertThat(text)
          .contains("jvm_memory_used_bytes")
          .contains("http_server_requests_seconds_count")
          .contains("logback_events_total{level=\"warn\"}")
          // Lineup's own count of the lines written (LogEventCounts), not Micrometer's binder,
          // whose logback filter every level check in the JVM passes through: it would have
          // registered the series first, with its own description.
          .contains("# HELP logback_events_total Log lines written, by level")
          .contains("kafka_");
      // Never a host, an activity or a secret.
      assertThat(text).doesNotContain("metrics-host-").doesNotContain(ADMIN).doesNotContain(ENROLL);
      ids.forEach(id -> assertThat(text).doesNotContain(id));
      promtoolAccepts(text);
    }
    assertThat(sequencer).contains("kafka_stream_");
  }

  /**
   * The gauges: work waiting on a host without an agent shows as upcoming in its lane and as
   * unfinished by state (counted from the ledger), and goes back down when it is cancelled; every
   * consumer, the sequencer's stream threads included, reports its lag; the release budget shows
   * its tokens.
   */
  @Test
  void gaugesShowUpcomingWorkPerLaneAndGoBackDownWhenItIsCancelled() throws Exception {
    LineupClient intake =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
    String host = "metrics-silent-host";
    double upcomingBefore =
        sum(scrape(services.intakeUrl()), "lineup_upcoming_activities", "lane=\"DEFAULT\"");
    for (int i = 0; i < 3; i++) {
      assertThat(
              intake
                  .post(
                      "/v1/hosts/" + host + "/activities",
                      "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo " + i + "\"}}")
                  .status())
          .isEqualTo(202);
    }
    // One is released to nobody; the other two wait behind it.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              String text = scrape(services.intakeUrl());
              assertThat(sum(text, "lineup_upcoming_activities", "lane=\"DEFAULT\""))
                  .isEqualTo(upcomingBefore + 2);
              assertThat(
                      sum(
                          text,
                          "lineup_activities",
                          "state=\"RELEASED\"",
                          "type=\"SCRIPT_RUN\"",
                          "lane=\"DEFAULT\""))
                  .isGreaterThanOrEqualTo(1);
            });
    assertThat(intake.delete("/v1/hosts/" + host + "/activities?state=upcoming").status())
        .isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () ->
                assertThat(
                        sum(
                            scrape(services.intakeUrl()),
                            "lineup_upcoming_activities",
                            "lane=\"DEFAULT\""))
                    .isEqualTo(upcomingBefore));

    String intakeText = scrape(services.intakeUrl());
    String sequencer = scrape(services.sequencerUrl());
    String gateway = scrape(services.gatewayUrl());
    assertThat(intakeText)
        .contains("lineup_upcoming_activities{lane=\"SETUP\"}")
        .containsPattern("lineup_ledger_counted_at_seconds [0-9.E]+")
        .containsPattern("lineup_consumer_lag_records\\{consumer=\"[^\"]+\"} ")
        .containsPattern("lineup_consumer_lag_seconds\\{consumer=\"[^\"]+\"} ")
        // The sequencer keeps up here: the front door is not holding back.
        .contains("lineup_consumer_held_back{consumer=\"request-front-door\"} 0.0");
    assertThat(gateway).containsPattern("lineup_consumer_lag_records\\{consumer=\"[^\"]+\"} ");
    assertThat(sequencer)
        .contains("lineup_consumer_lag_records{consumer=\"sequencer\"}")
        .contains("lineup_consumer_stalled{consumer=\"sequencer\"} 0.0");
    // The budget starts full in every task and this test released no system work.
    assertThat(sum(sequencer, "lineup_release_budget_tokens")).isGreaterThan(0);
    for (String service : List.of(intakeText, sequencer, gateway)) {
      assertThat(service).as("each service reaches Kafka").contains("lineup_kafka_reachable 1.0");
    }
    promtoolAccepts(intakeText);
    promtoolAccepts(sequencer);
  }

  /**
   * A real Prometheus (Debian's {@code prometheus} package; without it this test fails) scrapes the
   * three services every second with a generated configuration, and its query API sees them up and
   * Lineup's series moved.
   */
  @Test
  void aRealPrometheusScrapesEveryServiceAndQueriesLineupsSeries() throws Exception {
    runActivities();
    Path dir = Files.createTempDirectory("metrics-prometheus");
    int port;
    try (ServerSocket free = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    Path repository = Path.of(System.getProperty("basedir", "")).toAbsolutePath().getParent();
    Path alerts = repository.resolve("deploy/prometheus/alerts.yml");
    StringBuilder config =
        new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
            .append("rule_files: [\"")
            .append(alerts)
            .append("\"]\nscrape_configs:\n");
    Map<String, URI> jobs =
        Map.of(
            "lineup-intake", services.intakeUrl(),
            "lineup-sequencer", services.sequencerUrl(),
            "lineup-gateway", services.gatewayUrl());
    jobs.forEach(
        (job, url) ->
            config
                .append("  - job_name: ")
                .append(job)
                .append("\n    static_configs:\n      - targets: [\"")
                .append(url.getHost())
                .append(':')
                .append(url.getPort())
                .append("\"]\n"));
    Files.writeString(dir.resolve("prometheus.yml"), config.toString());
    Process prometheus;
    try {
      prometheus =
          new ProcessBuilder(
                  "prometheus",
                  "--config.file=" + dir.resolve("prometheus.yml"),
                  "--storage.tsdb.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
    } catch (IOException e) {
      throw new AssertionError(
          "prometheus is needed (Debian/Ubuntu: apt-get install prometheus; .ci/run installs it)",
          e);
    }
    try {
      URI api = URI.create("http://127.0.0.1:" + port + "/api/v1/query");
      await()
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                assertThat(prometheus.isAlive())
                    .as("prometheus runs: %s", Files.readString(dir.resolve("prometheus.log")))
                    .isTrue();
                assertThat(query(api, "sum(up{job=~\"lineup-.*\"})")).isEqualTo(3);
                assertThat(query(api, "sum(lineup_releases_total)")).isGreaterThanOrEqualTo(N);
                assertThat(query(api, "sum(lineup_lifecycle_events_total{state=\"SUCCEEDED\"})"))
                    .isGreaterThanOrEqualTo(N);
                assertThat(query(api, "sum(lineup_handoff_seconds_count)"))
                    .isGreaterThanOrEqualTo(HOSTS * (PER_HOST - 1));
                assertThat(query(api, "count(lineup_consumer_stalled == 0)")).isGreaterThan(0);
                assertThat(query(api, "count(lineup_dead_letters_total)")).isGreaterThan(0);
                assertThat(query(api, "count(lineup_consumer_lag_records)")).isGreaterThan(3);
                assertThat(query(api, "count(lineup_upcoming_activities)")).isEqualTo(3);
                assertThat(query(api, "sum(lineup_kafka_reachable)"))
                    .as("the three services, each reaching Kafka")
                    .isEqualTo(3);
              });
      URI base = URI.create("http://127.0.0.1:" + port);
      // deploy/prometheus/alerts.yml loaded and evaluated against the real series.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                List<Map<String, Object>> rules = rules(base);
                assertThat(rules).hasSize(8);
                for (Map<String, Object> rule : rules) {
                  assertThat(rule.get("health"))
                      .as("alert %s: %s", rule.get("name"), rule.get("lastError"))
                      .isEqualTo("ok");
                }
              });
      // Every query of deploy/grafana's dashboard runs, and finds series.
      for (String expr : dashboardQueries(repository)) {
        String promql = expr.replace("$__rate_interval", "1m");
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(500))
            .untilAsserted(
                () ->
                    assertThat(query(api, promql))
                        .as("dashboard query %s", promql)
                        .isNotEqualTo(-1));
      }
    } finally {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
  }

  /** Every alert rule Prometheus loaded, with its health. */
  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> rules(URI prometheus)
      throws IOException, InterruptedException {
    HttpResponse<String> answer =
        HTTP.send(
            HttpRequest.newBuilder(prometheus.resolve("/api/v1/rules")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    Map<String, Object> body =
        services.intake().getBean(JsonMapper.class).readValue(answer.body(), Map.class);
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Object group : (List<Object>) ((Map<String, Object>) body.get("data")).get("groups")) {
      rules.addAll((List<Map<String, Object>>) ((Map<String, Object>) group).get("rules"));
    }
    return rules;
  }

  /** The PromQL of every panel of deploy/grafana/dashboards/lineup.json. */
  @SuppressWarnings("unchecked")
  private static List<String> dashboardQueries(Path repository) throws IOException {
    Map<String, Object> dashboard =
        services
            .intake()
            .getBean(JsonMapper.class)
            .readValue(
                Files.readString(repository.resolve("deploy/grafana/dashboards/lineup.json")),
                Map.class);
    List<String> queries = new ArrayList<>();
    for (Object panel : (List<Object>) dashboard.get("panels")) {
      Object targets = ((Map<String, Object>) panel).get("targets");
      if (targets != null) {
        for (Object target : (List<Object>) targets) {
          queries.add((String) ((Map<String, Object>) target).get("expr"));
        }
      }
    }
    assertThat(queries).hasSizeGreaterThan(10);
    return queries;
  }

  /** The value of an instant query with one result, or -1 when it has none. */
  private static double query(URI api, String promql) throws IOException, InterruptedException {
    HttpResponse<String> answer =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(api + "?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as("%s: %s", promql, answer.body()).isEqualTo(200);
    @SuppressWarnings("unchecked")
    Map<String, Object> body =
        services.intake().getBean(JsonMapper.class).readValue(answer.body(), Map.class);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> result =
        (List<Map<String, Object>>) ((Map<String, Object>) body.get("data")).get("result");
    if (result.isEmpty()) {
      return -1;
    }
    return Double.parseDouble((String) ((List<?>) result.get(0).get("value")).get(1));
  }

  /** {@code GET /metrics} without a token: 200 and Prometheus text. */
  private static String scrape(URI service) throws IOException, InterruptedException {
    HttpResponse<String> answer =
        HTTP.send(
            HttpRequest.newBuilder(service.resolve("/metrics")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as("GET %s/metrics", service).isEqualTo(200);
    assertThat(answer.headers().firstValue("content-type").orElse(""))
        .startsWith("text/plain; version=0.0.4");
    return answer.body();
  }

  /** The sum of a metric's samples whose labels contain every one of {@code labels}. */
  static double sum(String text, String name, String... labels) {
    double total = 0;
    Matcher m =
        Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE)
            .matcher(text);
    while (m.find()) {
      String found = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (String label : labels) {
        all &= found.contains(label);
      }
      if (all) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return total;
  }

  /**
   * {@code promtool check metrics}, reading the text on stdin: it parses (exit 1 would say it does
   * not), and none of promtool's lints (exit 3) is about a {@code lineup_} metric. The standard
   * ones keep the names Micrometer gives them, which dashboards expect: promtool lints some of the
   * Kafka clients' ({@code _ns_total}, {@code connection_count}) and finds no help text on the HTTP
   * server's.
   */
  static void promtoolAccepts(String text) throws Exception {
    Process promtool;
    try {
      promtool =
          new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(
          "promtool is needed (Debian/Ubuntu: apt-get install prometheus; .ci/run installs it)", e);
    }
    try (var in = promtool.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String said = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(promtool.exitValue()).as("promtool check metrics said: %s", said).isIn(0, 3);
    assertThat(said.lines().filter(line -> line.startsWith("lineup_")).toList())
        .as("promtool's lints of Lineup's own metrics")
        .isEmpty();
  }
}
