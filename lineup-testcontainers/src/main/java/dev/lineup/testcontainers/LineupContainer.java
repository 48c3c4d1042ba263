package dev.lineup.testcontainers;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.containers.wait.strategy.WaitStrategy;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.lifecycle.Startable;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * All of Lineup in Docker for an upstream service's integration tests: a Kafka broker, PostgreSQL,
 * the topics, and intake, sequencer and gateway, each from its image, on one private network.
 *
 * <pre>{@code
 * @Container static LineupContainer lineup = new LineupContainer();
 * ...
 * HttpRequest.newBuilder(lineup.intakeUrl().resolve("/v1/hosts/h1/activities"))
 *     .header("Authorization", "Bearer " + lineup.adminToken()) ...
 * }</pre>
 *
 * Start takes about a minute: the broker and database, then the topics, then the services in the
 * order they need each other, each waited for until its {@code /health} answers 200.
 */
public final class LineupContainer implements Startable {

  public static final int INTAKE_PORT = 8080;
  public static final int GATEWAY_PORT = 8081;
  public static final int SEQUENCER_PORT = 8082;
  static final int PARTITIONS = 3;
  private static final String KAFKA_HOST = "kafka";
  private static final String POSTGRES_HOST = "postgres";
  private static final String INTAKE_HOST = "intake";
  private static final Duration STARTUP = Duration.ofMinutes(3);
  private static final Properties IMAGES = defaultImages();

  private final Network network = Network.newNetwork();
  private final String adminToken = "lineup_admin_" + UUID.randomUUID().toString().replace("-", "");
  private final String enrollSecret =
      "lineup_enroll_" + UUID.randomUUID().toString().replace("-", "");
  private final KafkaContainer kafka;
  private final PostgreSQLContainer postgres;
  private final GenericContainer<?> topics;
  private final GenericContainer<?> sequencer;
  private final GenericContainer<?> intake;
  private final GenericContainer<?> gateway;
  private final List<DockerImageName> images;

  /** This build's images, from the registry they were built for. */
  public LineupContainer() {
    this(IMAGES.getProperty("registry"), IMAGES.getProperty("version"));
  }

  /**
   * @param registry where {@code intake}, {@code sequencer}, {@code gateway} and {@code cli} images
   *     are, e.g. {@code ghcr.io/acme/lineup}
   * @param version their tag
   */
  public LineupContainer(String registry, String version) {
    images =
        List.of(
            DockerImageName.parse(IMAGES.getProperty("kafka")),
            DockerImageName.parse(IMAGES.getProperty("postgres")),
            image(registry, "cli", version),
            image(registry, "sequencer", version),
            image(registry, "intake", version),
            image(registry, "gateway", version));
    kafka =
        new KafkaContainer(images.get(0))
            .withNetwork(network)
            .withNetworkAliases(KAFKA_HOST)
            .withListener(KAFKA_HOST + ":19092");
    postgres =
        new PostgreSQLContainer(images.get(1))
            .withNetwork(network)
            .withNetworkAliases(POSTGRES_HOST)
            .withDatabaseName("lineup_intake")
            .withCopyToContainer(
                Transferable.of("CREATE DATABASE lineup_gateway;\n"),
                "/docker-entrypoint-initdb.d/10-lineup-gateway.sql");
    topics =
        new GenericContainer<>(images.get(2))
            .withNetwork(network)
            .withEnv(topicsEnvironment())
            .withCommand("topics", "provision")
            .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(STARTUP))
            .dependsOn(kafka);
    sequencer =
        service(images.get(3), SEQUENCER_PORT, sequencerEnvironment())
            .withNetworkAliases("sequencer")
            .dependsOn(topics);
    intake =
        service(images.get(4), INTAKE_PORT, intakeEnvironment())
            .withNetworkAliases(INTAKE_HOST)
            .dependsOn(topics, postgres);
    gateway =
        service(images.get(5), GATEWAY_PORT, gatewayEnvironment()).dependsOn(intake, sequencer);
  }

  private GenericContainer<?> service(DockerImageName image, int port, Map<String, String> env) {
    return new GenericContainer<>(image)
        .withNetwork(network)
        .withExposedPorts(port)
        .withEnv(env)
        .waitingFor(healthy(port));
  }

  /** Ready when {@code /health} answers 200: every consumer assigned, the database reachable. */
  static WaitStrategy healthy(int port) {
    return Wait.forHttp("/health").forPort(port).forStatusCode(200).withStartupTimeout(STARTUP);
  }

  private static DockerImageName image(String registry, String name, String version) {
    return DockerImageName.parse(registry + "/" + name + ":" + version);
  }

  Map<String, String> topicsEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("LINEUP_KAFKA_BOOTSTRAP_SERVERS", KAFKA_HOST + ":19092");
    env.put("LINEUP_TOPICS_PARTITIONS", Integer.toString(PARTITIONS));
    env.put("LINEUP_TOPICS_REPLICATION_FACTOR", "1");
    return env;
  }

  Map<String, String> sequencerEnvironment() {
    Map<String, String> env = common(SEQUENCER_PORT);
    env.put("LINEUP_SEQUENCER_INSTANCE_ID", "sequencer-0");
    env.put("LINEUP_SEQUENCER_STATE_DIR", "/tmp/lineup-sequencer");
    env.put("LINEUP_SEQUENCER_ADVERTISED_ENDPOINT", "sequencer:" + SEQUENCER_PORT);
    env.put("LINEUP_SEQUENCER_REPLICATION_FACTOR", "1");
    return env;
  }

  Map<String, String> intakeEnvironment() {
    Map<String, String> env = common(INTAKE_PORT);
    env.put("LINEUP_INTAKE_DATABASE_URL", jdbc("lineup_intake"));
    env.put("LINEUP_INTAKE_DATABASE_USER", postgres.getUsername());
    env.put("LINEUP_INTAKE_DATABASE_PASSWORD", postgres.getPassword());
    env.put("LINEUP_INTAKE_INSTANCE_ID", "intake-0");
    env.put("LINEUP_INTAKE_SEQUENCER_URL", "http://sequencer:" + SEQUENCER_PORT);
    return env;
  }

  Map<String, String> gatewayEnvironment() {
    Map<String, String> env = common(GATEWAY_PORT);
    env.put("LINEUP_GATEWAY_DATABASE_URL", jdbc("lineup_gateway"));
    env.put("LINEUP_GATEWAY_DATABASE_USER", postgres.getUsername());
    env.put("LINEUP_GATEWAY_DATABASE_PASSWORD", postgres.getPassword());
    env.put("LINEUP_GATEWAY_INSTANCE_ID", "gateway-0");
    env.put("LINEUP_GATEWAY_INTAKE_URL", "http://" + INTAKE_HOST + ":" + INTAKE_PORT);
    env.put("LINEUP_ENROLL_SECRET", enrollSecret);
    return env;
  }

  private Map<String, String> common(int port) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MICRONAUT_SERVER_PORT", Integer.toString(port));
    env.put("LINEUP_KAFKA_BOOTSTRAP_SERVERS", KAFKA_HOST + ":19092");
    env.put("LINEUP_ADMIN_TOKEN", adminToken);
    return env;
  }

  private static String jdbc(String database) {
    return "jdbc:postgresql://" + POSTGRES_HOST + ":5432/" + database;
  }

  /** The images of {@link #containers()}, in the same order. */
  List<DockerImageName> images() {
    return images;
  }

  /** The containers, in the order they start. */
  List<GenericContainer<?>> containers() {
    return List.of(kafka, postgres, topics, sequencer, intake, gateway);
  }

  @Override
  public void start() {
    // Each waits for what it depends on (dependsOn), so starting the last starts them all in turn.
    gateway.start();
  }

  @Override
  public void stop() {
    for (GenericContainer<?> c : List.of(gateway, intake, sequencer, topics, postgres, kafka)) {
      c.stop();
    }
    network.close();
  }

  /** Where upstream services enqueue: {@code POST /v1/hosts/{host}/activities}. */
  public URI intakeUrl() {
    return url(intake, INTAKE_PORT);
  }

  /** Where agents enroll and poll. */
  public URI gatewayUrl() {
    return url(gateway, GATEWAY_PORT);
  }

  /** The queue query API. */
  public URI sequencerUrl() {
    return url(sequencer, SEQUENCER_PORT);
  }

  /** The broker, from the test's side, to read Lineup's topics (events, results). */
  public String bootstrapServers() {
    return kafka.getBootstrapServers();
  }

  /** The bearer token every service accepts as admin. */
  public String adminToken() {
    return adminToken;
  }

  /** The secret an agent enrolls with. */
  public String enrollSecret() {
    return enrollSecret;
  }

  private static URI url(GenericContainer<?> container, int port) {
    return URI.create("http://" + container.getHost() + ":" + container.getMappedPort(port));
  }

  private static Properties defaultImages() {
    Properties properties = new Properties();
    try (InputStream in = LineupContainer.class.getResourceAsStream("images.properties")) {
      properties.load(in);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("lineup-testcontainers is missing its images.properties", e);
    }
    return properties;
  }
}
