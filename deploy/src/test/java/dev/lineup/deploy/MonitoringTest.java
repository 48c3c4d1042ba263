package dev.lineup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring an operator installs from {@code deploy/}: Prometheus' configuration and alert
 * rules (checked and unit-tested by {@code promtool}, from Debian's {@code prometheus} package;
 * without it these tests fail) and the Grafana dashboard. That every dashboard query runs against
 * the real series, and the rules load into a real Prometheus, is devstack's MetricsTest.
 */
class MonitoringTest {

  private static final Path PROMETHEUS = Settings.ROOT.resolve("deploy/prometheus");
  private static final Path DASHBOARD =
      Settings.ROOT.resolve("deploy/grafana/dashboards/lineup.json");
  private static final Path DATASOURCE =
      Settings.ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml");
  private static final Path OPERATIONS = Settings.ROOT.resolve("docs/OPERATIONS.md");

  @Test
  void prometheusAcceptsItsConfigurationAndTheAlertRulesItLoads() throws Exception {
    assertThat(promtool("check", "config", "prometheus.yml"))
        .contains("SUCCESS: 8 rules found")
        .contains("SUCCESS: prometheus.yml is valid");
    assertThat(promtool("check", "rules", "alerts.yml")).contains("SUCCESS");
  }

  @Test
  void everyAlertFiresOnItsUnitTestsSeriesAndStaysQuietOnTheOthers() throws Exception {
    assertThat(promtool("test", "rules", "alerts-test.yml")).contains("SUCCESS");
    assertThat(names(Files.readString(PROMETHEUS.resolve("alerts-test.yml")), "alertname: (\\w+)"))
        .as("alerts with a unit test")
        .isEqualTo(alerts());
  }

  @Test
  void everyAlertIsExplainedInTheOperationsGuide() throws Exception {
    String guide = Files.readString(OPERATIONS);
    for (String alert : alerts()) {
      assertThat(guide).as("docs/OPERATIONS.md explains %s", alert).contains("`" + alert + "`");
    }
  }

  @Test
  void theDashboardReadsTheProvisionedPrometheusAndOnlyDocumentedLineupMetrics() throws Exception {
    Map<String, Object> dashboard = new Yaml().load(Files.readString(DASHBOARD));
    assertThat(dashboard).containsEntry("uid", "lineup-overview");
    Map<String, Object> provisioning = new Yaml().load(Files.readString(DATASOURCE));
    @SuppressWarnings("unchecked")
    String uid =
        (String) ((List<Map<String, Object>>) provisioning.get("datasources")).get(0).get("uid");

    String guide = Files.readString(OPERATIONS);
    List<String> expressions = new ArrayList<>();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> panels = (List<Map<String, Object>>) dashboard.get("panels");
    for (Map<String, Object> panel : panels) {
      if ("row".equals(panel.get("type"))) {
        continue;
      }
      assertThat(panel.get("description")).as("%s explains itself", panel.get("title")).isNotNull();
      @SuppressWarnings("unchecked")
      Map<String, Object> source = (Map<String, Object>) panel.get("datasource");
      assertThat(source).as("%s's data source", panel.get("title")).containsEntry("uid", uid);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> targets = (List<Map<String, Object>>) panel.get("targets");
      assertThat(targets).as("%s's queries", panel.get("title")).isNotEmpty();
      targets.forEach(t -> expressions.add((String) t.get("expr")));
    }
    Set<String> metrics = names(String.join("\n", expressions), "(lineup_[a-z_]+)");
    // The list: throughput by state, upcoming per lane, hand-off latency, expiries and
    // retries, dead letters, lags.
    assertThat(metrics)
        .contains(
            "lineup_lifecycle_events_total",
            "lineup_upcoming_activities",
            "lineup_handoff_seconds_bucket",
            "lineup_lease_expiries_total",
            "lineup_retries_total",
            "lineup_dead_letters_total",
            "lineup_consumer_lag_records",
            "lineup_consumer_lag_seconds");
    for (String metric : metrics) {
      String documented = metric.replaceAll("_(total|bucket)$", "");
      assertThat(guide).as("docs/OPERATIONS.md lists %s", metric).contains(documented);
    }
  }

  private static Set<String> alerts() throws IOException {
    return names(Files.readString(PROMETHEUS.resolve("alerts.yml")), "- alert: (\\w+)");
  }

  private static Set<String> names(String text, String regex) {
    Set<String> found = new TreeSet<>();
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  /** Runs promtool in deploy/prometheus and answers what it said, failing unless it exits 0. */
  private static String promtool(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(PROMETHEUS.toFile())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      throw new AssertionError(
          "promtool is needed (Debian/Ubuntu: apt-get install prometheus; .ci/run installs it)", e);
    }
    String said = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue())
        .as("promtool %s said: %s", String.join(" ", args), said)
        .isZero();
    return said;
  }
}
