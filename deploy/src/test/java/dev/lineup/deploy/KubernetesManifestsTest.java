package dev.lineup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.deploy.Settings.Image;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every overlay under deploy/k8s/overlays, rendered, against the services it deploys. */
class KubernetesManifestsTest {

  /** A pod template and what owns it. */
  record Workload(HasMetadata owner, Integer replicas, PodTemplateSpec template) {
    String name() {
      return owner.getKind() + " " + owner.getMetadata().getName();
    }

    PodSpec spec() {
      return template.getSpec();
    }

    Map<String, String> labels() {
      return Objects.requireNonNullElse(template.getMetadata().getLabels(), Map.of());
    }

    boolean longRunning() {
      return !(owner instanceof Job);
    }
  }

  static Stream<String> overlays() throws IOException {
    try (Stream<Path> dirs = Files.list(Rendered.OVERLAYS)) {
      List<String> names =
          dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList();
      assertThat(names).as("overlays under " + Rendered.OVERLAYS).contains("small", "production");
      return names.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everyImageIsOneOfLineupsAndPinned(String overlay) {
    for (Workload workload : workloads(overlay)) {
      for (Container container : containers(workload)) {
        String image = container.getImage();
        assertThat(Image.named(image))
            .as("%s runs %s: not one of Lineup's images", workload.name(), image)
            .isNotNull();
        assertThat(image)
            .as("%s: an image without a tag runs whatever :latest is that day", workload.name())
            .matches(".+(:[^/:]+|@sha256:[0-9a-f]{64})$")
            .doesNotEndWith(":latest");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everyEnvironmentVariableIsASettingOfItsService(String overlay) {
    List<HasMetadata> objects = Rendered.overlay(overlay);
    for (Workload workload : workloads(overlay)) {
      for (Container container : containers(workload)) {
        Image image = Image.named(container.getImage());
        assertThat(envNames(objects, container))
            .as(
                "%s, container %s (%s): variables that are no setting of it, by Micronaut's rule"
                    + " from its application-*.yml",
                workload.name(), container.getName(), image.name)
            .isSubsetOf(Settings.allowedEnv(image));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void secretsAreReferencedAndDocumentedNeverCommitted(String overlay) throws IOException {
    List<HasMetadata> objects = Rendered.overlay(overlay);
    assertThat(
            objects.stream().filter(Secret.class::isInstance).map(o -> o.getMetadata().getName()))
        .as("Secrets in the manifests: credentials are created in the cluster, never committed")
        .isEmpty();
    String deployMd = Files.readString(Settings.ROOT.resolve("docs/DEPLOY.md"));
    for (Workload workload : workloads(overlay)) {
      for (Container container : containers(workload)) {
        for (EnvFromSource from : list(container.getEnvFrom())) {
          assertThat(from.getSecretRef())
              .as(
                  "%s: envFrom a Secret hides which variables it sets from these tests; use"
                      + " secretKeyRef",
                  workload.name())
              .isNull();
        }
        for (EnvVar env : list(container.getEnv())) {
          if (env.getValueFrom() == null || env.getValueFrom().getSecretKeyRef() == null) {
            continue;
          }
          String secret = env.getValueFrom().getSecretKeyRef().getName();
          String key = env.getValueFrom().getSecretKeyRef().getKey();
          assertThat(
                  deployMd.contains("create secret generic " + secret)
                      && Pattern.compile("--from-(literal|file)=" + Pattern.quote(key) + "=")
                          .matcher(deployMd)
                          .find())
              .as(
                  "%s reads key %s of Secret %s: docs/DEPLOY.md must show it in its `kubectl create"
                      + " secret generic %s` command",
                  workload.name(), key, secret, secret)
              .isTrue();
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void probesAskHealthOnTheServicesOwnPort(String overlay) {
    for (Workload workload : workloads(overlay)) {
      for (Container container : containers(workload)) {
        Image image = Image.named(container.getImage());
        if (!image.isService()) {
          continue;
        }
        int port = Settings.port(image);
        String where = workload.name() + ", container " + container.getName();
        assertThat(list(container.getPorts()).stream().map(ContainerPort::getContainerPort))
            .as("%s: declares micronaut.server.port of %s", where, image.name)
            .containsExactly(port);

        Probe readiness = container.getReadinessProbe();
        assertThat(readiness).as("%s: readiness probe", where).isNotNull();
        assertThat(readiness.getHttpGet()).as("%s: readiness asks GET /health", where).isNotNull();
        assertThat(readiness.getHttpGet().getPath())
            .as("%s: readiness path", where)
            .isEqualTo("/health");
        assertThat(resolve(readiness.getHttpGet().getPort(), container))
            .as("%s: readiness port", where)
            .isEqualTo(port);

        // /health is 503 while Kafka or PostgreSQL is away; liveness may ask it only if a
        // restart were the cure, so it is either the port alone or /health on it.
        Probe liveness = container.getLivenessProbe();
        assertThat(liveness).as("%s: liveness probe", where).isNotNull();
        assertThat(probePort(liveness, container)).as("%s: liveness port", where).isEqualTo(port);
        if (container.getStartupProbe() != null) {
          assertThat(probePort(container.getStartupProbe(), container))
              .as("%s: startup probe port", where)
              .isEqualTo(port);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void theSequencerIsAStatefulSetWithItsStateOnAClaim(String overlay) {
    List<HasMetadata> objects = Rendered.overlay(overlay);
    List<Workload> sequencers =
        workloads(overlay).stream().filter(w -> runs(w, Image.SEQUENCER)).toList();
    assertThat(sequencers).as("workloads running the sequencer").hasSize(1);
    Workload workload = sequencers.get(0);
    assertThat(workload.owner())
        .as("the sequencer keeps a name and a disk per instance")
        .isInstanceOf(StatefulSet.class);
    StatefulSet set = (StatefulSet) workload.owner();
    Container sequencer = containers(workload).get(0);
    List<EnvVar> env = list(sequencer.getEnv());

    Set<String> claims = new TreeSet<>();
    list(set.getSpec().getVolumeClaimTemplates())
        .forEach(c -> claims.add(c.getMetadata().getName()));
    assertThat(claims).as("volumeClaimTemplates").isNotEmpty();
    String stateDir = literal(env, "LINEUP_SEQUENCER_STATE_DIR");
    assertThat(list(sequencer.getVolumeMounts()))
        .as("a claim template mounted at LINEUP_SEQUENCER_STATE_DIR (%s)", stateDir)
        .anySatisfy(
            mount -> {
              assertThat(mount.getName()).isIn(claims);
              assertThat(mount.getMountPath()).isEqualTo(stateDir);
            });

    EnvVar instanceId = env(env, "LINEUP_SEQUENCER_INSTANCE_ID");
    assertThat(instanceId.getValueFrom())
        .as("LINEUP_SEQUENCER_INSTANCE_ID comes from the pod's name: stable per ordinal")
        .isNotNull();
    assertThat(instanceId.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");

    Service peers = service(objects, set.getSpec().getServiceName());
    assertThat(peers.getSpec().getClusterIP())
        .as("the StatefulSet's serviceName %s is headless", peers.getMetadata().getName())
        .isEqualTo("None");
    assertThat(workload.labels())
        .as("the headless Service selects the sequencer's pods")
        .containsAllEntriesOf(peers.getSpec().getSelector());
    assertThat(literal(env, "LINEUP_SEQUENCER_ADVERTISED_ENDPOINT"))
        .as("the advertised endpoint is the pod's DNS name under the headless Service")
        .isEqualTo(
            "$(LINEUP_SEQUENCER_INSTANCE_ID)."
                + peers.getMetadata().getName()
                + ":"
                + Settings.port(Image.SEQUENCER));
    assertThat(env.indexOf(instanceId))
        .as("Kubernetes expands $(VAR) only from variables defined before it")
        .isLessThan(env.indexOf(env(env, "LINEUP_SEQUENCER_ADVERTISED_ENDPOINT")));
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void instanceIdsAreThePodsOwnName(String overlay) {
    List<HasMetadata> objects = Rendered.overlay(overlay);
    for (ConfigMap map : configMaps(objects)) {
      assertThat(Objects.requireNonNullElse(map.getData(), Map.<String, String>of()).keySet())
          .as(
              "ConfigMap %s: an instance id shared by replicas fences them",
              map.getMetadata().getName())
          .noneMatch(key -> key.endsWith("_INSTANCE_ID"));
    }
    for (Workload workload : workloads(overlay)) {
      for (Container container : containers(workload)) {
        for (EnvVar env : list(container.getEnv())) {
          if (env.getName().endsWith("_INSTANCE_ID")) {
            assertThat(env.getValueFrom() == null ? null : env.getValueFrom().getFieldRef())
                .as(
                    "%s: %s must be the pod's name, unique per replica",
                    workload.name(), env.getName())
                .isNotNull()
                .satisfies(ref -> assertThat(ref.getFieldPath()).isEqualTo("metadata.name"));
          }
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everyServiceSelectsPodsThatExistOnPortsTheyDeclare(String overlay) {
    List<HasMetadata> objects = Rendered.overlay(overlay);
    List<Service> services =
        objects.stream().filter(Service.class::isInstance).map(Service.class::cast).toList();
    assertThat(services).isNotEmpty();
    for (Service service : services) {
      Map<String, String> selector = service.getSpec().getSelector();
      String name = "Service " + service.getMetadata().getName();
      assertThat(selector).as("%s has a selector", name).isNotEmpty();
      List<Workload> selected =
          workloads(overlay).stream()
              .filter(Workload::longRunning)
              .filter(w -> w.labels().entrySet().containsAll(selector.entrySet()))
              .toList();
      assertThat(selected).as("%s selects %s: pods of no workload", name, selector).isNotEmpty();
      for (Workload workload : selected) {
        for (ServicePort port : service.getSpec().getPorts()) {
          IntOrString target =
              port.getTargetPort() == null ? new IntOrString(port.getPort()) : port.getTargetPort();
          assertThat(containers(workload))
              .as(
                  "%s port %s: targetPort %s is a port of %s",
                  name, port.getName(), target, workload.name())
              .anySatisfy(c -> assertThat(resolve(target, c)).isNotNull());
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void disruptionBudgetsCoverEveryServiceAndSelectPodsThatExist(String overlay) {
    List<HasMetadata> objects = Rendered.overlay(overlay);
    List<PodDisruptionBudget> budgets =
        objects.stream()
            .filter(PodDisruptionBudget.class::isInstance)
            .map(PodDisruptionBudget.class::cast)
            .toList();
    List<Workload> longRunning = workloads(overlay).stream().filter(Workload::longRunning).toList();
    for (PodDisruptionBudget budget : budgets) {
      Map<String, String> selector = budget.getSpec().getSelector().getMatchLabels();
      assertThat(selector)
          .as("PDB %s has matchLabels", budget.getMetadata().getName())
          .isNotEmpty();
      assertThat(longRunning)
          .as("PDB %s selects %s: pods of no workload", budget.getMetadata().getName(), selector)
          .anyMatch(w -> w.labels().entrySet().containsAll(selector.entrySet()));
    }
    for (Workload workload : longRunning) {
      assertThat(budgets)
          .as(
              "%s: a PodDisruptionBudget, so a node drain takes its pods one at a time",
              workload.name())
          .anyMatch(
              b ->
                  workload
                      .labels()
                      .entrySet()
                      .containsAll(b.getSpec().getSelector().getMatchLabels().entrySet()));
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void podsRunAsNonRootWithoutServiceLinksAndWithResources(String overlay) {
    for (Workload workload : workloads(overlay)) {
      PodSpec spec = workload.spec();
      assertThat(
              spec.getSecurityContext() == null
                  ? null
                  : spec.getSecurityContext().getRunAsNonRoot())
          .as("%s: runAsNonRoot", workload.name())
          .isTrue();
      assertThat(spec.getSecurityContext().getRunAsUser())
          .as("%s: the images' user", workload.name())
          .isIn(null, 65532L);
      // Otherwise every Service in the namespace becomes LINEUP_<SERVICE>_PORT... variables, which
      // Micronaut reads as settings.
      assertThat(spec.getEnableServiceLinks())
          .as("%s: enableServiceLinks", workload.name())
          .isFalse();
      for (Container container : containers(workload)) {
        for (String kind : List.of("requests", "limits")) {
          Map<String, Quantity> amounts =
              kind.equals("requests")
                  ? container.getResources().getRequests()
                  : container.getResources().getLimits();
          assertThat(amounts)
              .as("%s, container %s: %s", workload.name(), container.getName(), kind)
              .containsKeys("cpu", "memory");
        }
        assertThat(bytes(container.getResources().getLimits().get("memory")))
            .as(
                "%s: the memory limit, from which the heap is sized, holds the request",
                workload.name())
            .isGreaterThanOrEqualTo(bytes(container.getResources().getRequests().get("memory")));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void aJobProvisionsTheTopicsAsTheSequencerReplicatesThem(String overlay) {
    List<HasMetadata> objects = Rendered.overlay(overlay);
    List<Workload> provisioning =
        workloads(overlay).stream()
            .filter(w -> w.owner() instanceof Job)
            .filter(w -> runs(w, Image.CLI))
            .filter(w -> containers(w).get(0).getArgs().equals(List.of("topics", "provision")))
            .toList();
    assertThat(provisioning).as("a Job running `lineup/cli topics provision`").hasSize(1);
    Map<String, String> topics = settings(objects, containers(provisioning.get(0)).get(0));
    assertThat(topics).containsKeys(Settings.CLI_ENV.toArray(String[]::new));

    Workload sequencer =
        workloads(overlay).stream().filter(w -> runs(w, Image.SEQUENCER)).findFirst().orElseThrow();
    Map<String, String> settings = settings(objects, containers(sequencer).get(0));
    assertThat(settings.get("LINEUP_SEQUENCER_REPLICATION_FACTOR"))
        .as("changelogs replicated like the topics they back")
        .isEqualTo(topics.get("LINEUP_TOPICS_REPLICATION_FACTOR"));
    int standbys =
        Integer.parseInt(settings.getOrDefault("LINEUP_SEQUENCER_STANDBY_REPLICAS", "0"));
    if (standbys > 0) {
      assertThat(sequencer.replicas())
          .as("a standby lives on another instance than its active task")
          .isGreaterThan(standbys);
    }
  }

  /**
   * A container told where its Kafka client settings are ({@code LINEUP_KAFKA_CONFIG}) finds them
   * in a Secret mounted there, one that docs/DEPLOY.md shows how to create: the file holds a
   * password, so it is never a ConfigMap's.
   */
  @ParameterizedTest
  @MethodSource("overlays")
  void kafkaClientSettingsComeFromAMountedDocumentedSecret(String overlay) throws IOException {
    String deployMd = Files.readString(Settings.ROOT.resolve("docs/DEPLOY.md"));
    for (Workload workload : workloads(overlay)) {
      for (Container container : containers(workload)) {
        List<EnvVar> config =
            list(container.getEnv()).stream()
                .filter(e -> e.getName().equals("LINEUP_KAFKA_CONFIG"))
                .toList();
        if (config.isEmpty()) {
          continue;
        }
        Path file = Path.of(literal(config, "LINEUP_KAFKA_CONFIG"));
        var mount =
            list(container.getVolumeMounts()).stream()
                .filter(m -> file.getParent().equals(Path.of(m.getMountPath())))
                .findFirst()
                .orElseThrow(
                    () ->
                        new AssertionError(
                            workload.name() + ": nothing is mounted where " + file + " is"));
        var volume =
            list(workload.spec().getVolumes()).stream()
                .filter(v -> v.getName().equals(mount.getName()))
                .findFirst()
                .orElseThrow();
        assertThat(volume.getSecret())
            .as("%s: %s comes from a Secret", workload.name(), file)
            .isNotNull();
        assertThat(mount.getReadOnly()).as("%s: mounted read-only", workload.name()).isTrue();
        String secret = volume.getSecret().getSecretName();
        assertThat(
                Pattern.compile(
                        "create secret generic "
                            + Pattern.quote(secret)
                            + "[^\\n]*(\\\\\\n[^\\n]*)*--from-file="
                            + Pattern.quote(file.getFileName().toString())
                            + "=")
                    .matcher(deployMd)
                    .find())
            .as(
                "%s reads %s from Secret %s: docs/DEPLOY.md must show it in its `kubectl create"
                    + " secret generic %s` command",
                workload.name(), file.getFileName(), secret, secret)
            .isTrue();
      }
    }
  }

  /** Production Kafka answers authenticated clients only; every Lineup pod can be one. */
  @Test
  void inProductionEveryPodReadsItsKafkaClientSettings() {
    for (Workload workload : workloads("production")) {
      Container container = containers(workload).get(0);
      assertThat(literal(list(container.getEnv()), "LINEUP_KAFKA_CONFIG"))
          .as("%s: LINEUP_KAFKA_CONFIG", workload.name())
          .isEqualTo("/etc/lineup/kafka/client.properties");
    }
    for (Workload workload : workloads("small")) {
      assertThat(envNames(Rendered.overlay("small"), containers(workload).get(0)))
          .as("%s in the small overlay: plaintext Kafka", workload.name())
          .doesNotContain("LINEUP_KAFKA_CONFIG");
    }
  }

  @Test
  void productionIsReplicatedAndBiggerThanSmall() {
    List<HasMetadata> production = Rendered.overlay("production");
    Map<String, String> sequencer =
        settings(
            production,
            containers(
                    workloads("production").stream()
                        .filter(w -> runs(w, Image.SEQUENCER))
                        .findFirst()
                        .orElseThrow())
                .get(0));
    assertThat(sequencer).containsEntry("LINEUP_SEQUENCER_STANDBY_REPLICAS", "1");
    assertThat(sequencer).containsEntry("LINEUP_SEQUENCER_REPLICATION_FACTOR", "3");
    Map<String, Workload> small = new java.util.HashMap<>();
    workloads("small").forEach(w -> small.put(w.name(), w));
    for (Workload workload : workloads("production")) {
      if (!workload.longRunning()) {
        continue;
      }
      Workload smaller = small.get(workload.name());
      assertThat(smaller).as("%s in the small overlay too", workload.name()).isNotNull();
      assertThat(workload.replicas())
          .as("%s replicas", workload.name())
          .isGreaterThanOrEqualTo(3)
          .isGreaterThan(smaller.replicas());
      assertThat(bytes(containers(workload).get(0).getResources().getRequests().get("memory")))
          .as("%s memory", workload.name())
          .isGreaterThan(
              bytes(containers(smaller).get(0).getResources().getRequests().get("memory")));
    }
  }

  // --- reading the rendered objects

  static List<Workload> workloads(String overlay) {
    List<Workload> workloads = new ArrayList<>();
    for (HasMetadata object : Rendered.overlay(overlay)) {
      if (object instanceof Deployment d) {
        workloads.add(new Workload(d, d.getSpec().getReplicas(), d.getSpec().getTemplate()));
      } else if (object instanceof StatefulSet s) {
        workloads.add(new Workload(s, s.getSpec().getReplicas(), s.getSpec().getTemplate()));
      } else if (object instanceof Job j) {
        workloads.add(new Workload(j, 1, j.getSpec().getTemplate()));
      }
    }
    assertThat(workloads).as("workloads in overlay %s", overlay).isNotEmpty();
    return workloads;
  }

  static List<Container> containers(Workload workload) {
    List<Container> containers = new ArrayList<>(list(workload.spec().getInitContainers()));
    containers.addAll(list(workload.spec().getContainers()));
    return containers;
  }

  private static boolean runs(Workload workload, Image image) {
    return containers(workload).stream().anyMatch(c -> Image.named(c.getImage()) == image);
  }

  private static List<ConfigMap> configMaps(List<HasMetadata> objects) {
    return objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast).toList();
  }

  private static ConfigMap configMap(List<HasMetadata> objects, String name) {
    return configMaps(objects).stream()
        .filter(m -> m.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ConfigMap " + name + " in the manifests"));
  }

  private static Service service(List<HasMetadata> objects, String name) {
    return objects.stream()
        .filter(Service.class::isInstance)
        .map(Service.class::cast)
        .filter(s -> s.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Service " + name + " in the manifests"));
  }

  /** The variables a container gets: its env and every key of the ConfigMaps it imports. */
  private static Set<String> envNames(List<HasMetadata> objects, Container container) {
    Set<String> names = new TreeSet<>();
    list(container.getEnv()).forEach(e -> names.add(e.getName()));
    for (EnvFromSource from : list(container.getEnvFrom())) {
      if (from.getConfigMapRef() != null) {
        Map<String, String> data = configMap(objects, from.getConfigMapRef().getName()).getData();
        Objects.requireNonNullElse(data, Map.<String, String>of())
            .keySet()
            .forEach(key -> names.add(Objects.requireNonNullElse(from.getPrefix(), "") + key));
      }
    }
    return names;
  }

  /**
   * The literal values a container gets from its ConfigMaps and env (env wins, as in Kubernetes).
   */
  private static Map<String, String> settings(List<HasMetadata> objects, Container container) {
    Map<String, String> values = new java.util.HashMap<>();
    for (EnvFromSource from : list(container.getEnvFrom())) {
      if (from.getConfigMapRef() != null) {
        values.putAll(
            Objects.requireNonNullElse(
                configMap(objects, from.getConfigMapRef().getName()).getData(), Map.of()));
      }
    }
    list(container.getEnv()).stream()
        .filter(e -> e.getValue() != null)
        .forEach(e -> values.put(e.getName(), e.getValue()));
    return values;
  }

  private static EnvVar env(List<EnvVar> env, String name) {
    return env.stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in " + env));
  }

  private static String literal(List<EnvVar> env, String name) {
    String value = env(env, name).getValue();
    assertThat(value).as("%s is set in the workload itself", name).isNotNull();
    return value;
  }

  /** A probe's port as a number: named ports are looked up in the container. */
  private static Integer resolve(IntOrString port, Container container) {
    if (port == null) {
      return null;
    }
    if (port.getIntVal() != null) {
      return list(container.getPorts()).stream()
              .anyMatch(p -> p.getContainerPort().equals(port.getIntVal()))
          ? port.getIntVal()
          : null;
    }
    return list(container.getPorts()).stream()
        .filter(p -> port.getStrVal().equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElse(null);
  }

  private static Integer probePort(Probe probe, Container container) {
    if (probe.getTcpSocket() != null) {
      return resolve(probe.getTcpSocket().getPort(), container);
    }
    if (probe.getHttpGet() != null && "/health".equals(probe.getHttpGet().getPath())) {
      return resolve(probe.getHttpGet().getPort(), container);
    }
    throw new AssertionError(
        container.getName() + ": a probe that is neither tcpSocket nor GET /health: " + probe);
  }

  private static java.math.BigDecimal bytes(Quantity quantity) {
    assertThat(quantity).isNotNull();
    return Quantity.getAmountInBytes(quantity);
  }

  private static <T> List<T> list(List<T> maybe) {
    return maybe == null ? List.of() : maybe;
  }
}
