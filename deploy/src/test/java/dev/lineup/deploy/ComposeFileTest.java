package dev.lineup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.deploy.Settings.Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml against the services it runs. No Docker engine is needed: the file is read as
 * the YAML it is, and what Compose would do with it follows from the Compose specification.
 */
class ComposeFileTest {

  private static final String HEALTH_PROBE = "dev.lineup.service.http.HealthProbe";

  private static final Path FILE = Settings.ROOT.resolve("docker-compose.yml");

  /** Everything the file may run that is not Lineup's own. */
  private static final Set<String> THIRD_PARTY =
      Set.of("apache/kafka", "postgres", "prom/prometheus", "grafana/grafana");

  private static Map<String, Object> compose;
  private static Map<String, Map<String, Object>> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void read() throws IOException {
    compose = new Yaml().load(Files.readString(FILE));
    services = (Map<String, Map<String, Object>>) compose.get("services");
    assertThat(services).as("services in " + FILE).isNotEmpty();
  }

  /** Only the authenticated APIs devices and callers use are reachable from other machines. */
  @Test
  void whatTakesNoCredentialsIsPublishedOnLoopbackOnly() {
    Set<String> everywhere = Set.of("intake", "gateway");
    services.forEach(
        (name, service) -> {
          for (String published : strings(service.get("ports"))) {
            if (!everywhere.contains(name)) {
              assertThat(published).as("%s publishes %s", name, published).startsWith("127.0.0.1:");
            }
          }
        });
    assertThat(strings(services.get("kafka").get("ports"))).isNotEmpty();
  }

  @Test
  void everyImageIsLineupsOrAKnownOneAndPinned() {
    services.forEach(
        (name, service) -> {
          String image = (String) service.get("image");
          assertThat(image).as("%s: an image, not a build", name).isNotNull();
          assertThat(Image.named(image) != null || THIRD_PARTY.contains(Settings.repository(image)))
              .as("%s runs %s", name, image)
              .isTrue();
          assertThat(image)
              .as("%s: a pinned tag", name)
              .matches(".+:[^/:]+$")
              .doesNotEndWith(":latest");
        });
    assertThat(lineup(Image.INTAKE)).as("intake").hasSize(1);
    assertThat(lineup(Image.SEQUENCER)).as("the sequencer").hasSize(1);
    assertThat(lineup(Image.GATEWAY)).as("the gateway").hasSize(1);
  }

  @Test
  void everyEnvironmentVariableOfALineupImageIsASettingOfIt() {
    services.forEach(
        (name, service) -> {
          Image image = Image.named((String) service.get("image"));
          if (image != null) {
            assertThat(environment(service).keySet())
                .as("%s (%s): variables that are no setting of it", name, image.name)
                .isSubsetOf(Settings.allowedEnv(image));
          }
        });
  }

  @Test
  void credentialsComeFromTheShellNeverTheFile() {
    services.forEach(
        (name, service) ->
            environment(service)
                .forEach(
                    (variable, value) -> {
                      if (variable.equals("LINEUP_ADMIN_TOKEN")
                          || variable.equals("LINEUP_ENROLL_SECRET")) {
                        assertThat(value)
                            .as("%s: %s must be required from the environment", name, variable)
                            .startsWith("${" + variable + ":?");
                      }
                    }));
  }

  @Test
  void servicesAreHealthCheckedOnTheirOwnHealthEndpoint() {
    services.forEach(
        (name, service) -> {
          Image image = Image.named((String) service.get("image"));
          if (oneShot(service) || service.containsKey("profiles")) {
            return;
          }
          Map<String, Object> healthcheck = map(service.get("healthcheck"));
          assertThat(healthcheck).as("%s: a healthcheck", name).isNotEmpty();
          assertThat(healthcheck.get("test")).as("%s: healthcheck test", name).isNotNull();
          if (image != null && image.isService()) {
            int port = Settings.port(image);
            assertThat(String.valueOf(healthcheck.get("test")))
                .as("%s: checks its own /health", name)
                .contains("http://localhost:" + port + "/health");
            // The probe is a class of the image's, on the classpath Jib writes into it.
            assertThat(String.valueOf(healthcheck.get("test")))
                .as("%s: the health probe on the image's classpath", name)
                .contains("@/app/jib-classpath-file, " + HEALTH_PROBE);
            assertThat(
                    Settings.ROOT.resolve(
                        "service-http/src/main/java/" + HEALTH_PROBE.replace('.', '/') + ".java"))
                .as("the health probe's source")
                .exists();
            assertThat(strings(service.get("ports")))
                .as("%s: publishes micronaut.server.port, on every interface or loopback", name)
                .containsAnyOf(port + ":" + port, "127.0.0.1:" + port + ":" + port);
          }
        });
  }

  @Test
  void startOrderWaitsForHealthAndForTheTopics() {
    String provisioner = null;
    for (Map.Entry<String, Map<String, Object>> e : services.entrySet()) {
      if (Image.named((String) e.getValue().get("image")) == Image.CLI
          && Objects.equals(e.getValue().get("command"), List.of("topics", "provision"))) {
        provisioner = e.getKey();
      }
    }
    assertThat(provisioner)
        .as("a one-shot service running `lineup/cli topics provision`")
        .isNotNull();
    assertThat(oneShot(services.get(provisioner))).as("%s does not restart", provisioner).isTrue();
    assertThat(environment(services.get(provisioner)).keySet()).containsAll(Settings.CLI_ENV);

    services.forEach(
        (name, service) ->
            assertThat(service.get("depends_on") instanceof List)
                .as("%s: depends_on in the long form, each with its condition", name)
                .isFalse());
    services.forEach(
        (name, service) ->
            map(service.get("depends_on"))
                .forEach(
                    (target, how) -> {
                      assertThat(services).as("%s depends on %s", name, target).containsKey(target);
                      String condition = (String) map(how).get("condition");
                      Map<String, Object> dependency = services.get(target);
                      if (oneShot(dependency)) {
                        assertThat(condition)
                            .as("%s waits for one-shot %s to succeed", name, target)
                            .isEqualTo("service_completed_successfully");
                      } else if (dependency.containsKey("healthcheck")) {
                        assertThat(condition)
                            .as("%s waits for %s to be healthy", name, target)
                            .isEqualTo("service_healthy");
                      } else {
                        assertThat(condition)
                            .as("%s -> %s", name, target)
                            .isEqualTo("service_started");
                      }
                    }));

    for (Image image : List.of(Image.INTAKE, Image.SEQUENCER, Image.GATEWAY)) {
      for (String name : lineup(image)) {
        Map<String, Object> dependsOn = map(services.get(name).get("depends_on"));
        assertThat(dependsOn).as("%s waits for the topics", name).containsKey(provisioner);
        boolean usesPostgres =
            environment(services.get(name)).keySet().stream()
                .anyMatch(k -> k.endsWith("_DATABASE_URL"));
        if (usesPostgres) {
          assertThat(dependsOn).as("%s waits for PostgreSQL", name).containsKey("postgres");
        }
      }
    }
    assertThat(map(services.get(provisioner).get("depends_on")))
        .as("topics wait for the broker")
        .containsKey("kafka");
  }

  @Test
  void theSequencerKeepsItsStateOnANamedVolume() {
    String sequencer = lineup(Image.SEQUENCER).get(0);
    Map<String, Object> service = services.get(sequencer);
    String stateDir = String.valueOf(environment(service).get("LINEUP_SEQUENCER_STATE_DIR"));
    Set<String> named = map(compose.get("volumes")).keySet();
    assertThat(strings(service.get("volumes")))
        .as("a named volume (one of %s) at LINEUP_SEQUENCER_STATE_DIR %s", named, stateDir)
        .anySatisfy(
            mount -> {
              String[] parts = mount.split(":");
              assertThat(parts[0]).isIn(named);
              assertThat(parts[1]).isEqualTo(stateDir);
            });
    assertThat(environment(service).get("LINEUP_SEQUENCER_INSTANCE_ID"))
        .as("a stable instance id: the restarted sequencer takes its tasks straight back")
        .isNotNull();
  }

  @Test
  void monitoringIsAProfileAndItsFilesExist() {
    for (String name : List.of("prometheus", "grafana")) {
      assertThat(services).containsKey(name);
      assertThat(strings(services.get(name).get("profiles")))
          .as(name)
          .containsExactly("monitoring");
    }
    services.forEach(
        (name, service) -> {
          if (Image.named((String) service.get("image")) != null) {
            assertThat(service)
                .as("%s starts with a plain `docker compose up`", name)
                .doesNotContainKey("profiles");
          }
          for (String mount : strings(service.get("volumes"))) {
            if (mount.startsWith("./")) {
              Path source = Settings.ROOT.resolve(mount.split(":")[0]).normalize();
              assertThat(source).as("%s mounts %s", name, source).exists();
            }
          }
        });
  }

  // --- reading the file

  private static List<String> lineup(Image image) {
    List<String> names = new ArrayList<>();
    services.forEach(
        (name, service) -> {
          if (Image.named((String) service.get("image")) == image) {
            names.add(name);
          }
        });
    return names;
  }

  /** Runs once: Compose's `restart: "no"` and no healthcheck to wait for. */
  private static boolean oneShot(Map<String, Object> service) {
    return "no".equals(String.valueOf(service.get("restart")))
        && !service.containsKey("healthcheck");
  }

  /** `environment:` as a map or as a list of NAME=value. */
  private static Map<String, String> environment(Map<String, Object> service) {
    Object environment = service.get("environment");
    Map<String, String> variables = new LinkedHashMap<>();
    if (environment instanceof Map<?, ?> m) {
      m.forEach((k, v) -> variables.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
    } else if (environment instanceof List<?> list) {
      for (Object entry : list) {
        String[] pair = String.valueOf(entry).split("=", 2);
        variables.put(pair[0], pair.length > 1 ? pair[1] : null);
      }
    }
    return variables;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static List<String> strings(Object value) {
    return value instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
  }
}
