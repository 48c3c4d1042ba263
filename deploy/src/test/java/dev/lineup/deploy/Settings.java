package dev.lineup.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.SettingsCatalogue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each image may be told by environment: the settings its service documents in its
 * application-*.yml, named by Micronaut's rule. Read from the services' source trees, so this
 * module never builds them and a setting renamed there fails these tests at once.
 */
final class Settings {

  /**
   * The repository's root, found from wherever the tests run (Maven: the module's directory; an
   * IDE: often the root itself).
   */
  static final Path ROOT = root();

  /** The images the Jib build makes; nothing else of Lineup's may run. */
  enum Image {
    INTAKE("lineup/intake", "intake-service/src/main/resources/application-intake.yml"),
    SEQUENCER("lineup/sequencer", "sequencer-service/src/main/resources/application-sequencer.yml"),
    GATEWAY("lineup/gateway", "executor-gateway/src/main/resources/application-gateway.yml"),
    REFERENCE_AGENT("lineup/reference-agent", null),
    CLI("lineup/cli", null);

    final String name;
    private final String settingsFile;

    Image(String name, String settingsFile) {
      this.name = name;
      this.settingsFile = settingsFile;
    }

    boolean isService() {
      return settingsFile != null;
    }

    static Image named(String image) {
      String repository = repository(image);
      for (Image candidate : values()) {
        if (candidate.name.equals(repository)) {
          return candidate;
        }
      }
      return null;
    }
  }

  /**
   * The operator CLI has no application-*.yml: these are the variables its {@code topics provision}
   * command reads (its contract with this module; keep both in step).
   */
  static final Set<String> CLI_ENV =
      Set.of(
          "LINEUP_KAFKA_BOOTSTRAP_SERVERS",
          "LINEUP_TOPICS_PARTITIONS",
          "LINEUP_TOPICS_REPLICATION_FACTOR");

  /**
   * Read by the runtime, not as Lineup settings: the JVM's heap sizing from the container's memory
   * limit, and the log format the services' logback.xml picks.
   */
  static final Set<String> JVM_ENV = Set.of("JAVA_TOOL_OPTIONS", "LINEUP_LOG_FORMAT");

  private Settings() {}

  private static Path root() {
    Path start =
        Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    for (Path at = start; at != null; at = at.getParent()) {
      if (Files.isDirectory(at.resolve("deploy/k8s"))
          && Files.isRegularFile(at.resolve("pom.xml"))) {
        return at;
      }
    }
    throw new AssertionError(
        "no Lineup checkout (a directory with deploy/k8s) at or above " + start);
  }

  /** Every environment variable {@code image} may be given. */
  static Set<String> allowedEnv(Image image) {
    Set<String> names = new TreeSet<>(JVM_ENV);
    switch (image) {
      case CLI -> {
        names.addAll(CLI_ENV);
        // Optional: the Kafka client properties file, for a cluster that wants TLS or SASL.
        names.add("LINEUP_KAFKA_CONFIG");
      }
      case REFERENCE_AGENT -> {}
      default -> {
        keys(image).forEach(key -> names.add(envName(key)));
      }
    }
    return names;
  }

  /** The service's HTTP port, micronaut.server.port. */
  static int port(Image image) {
    Map<String, Object> settings = load(image);
    Object port = path(settings, "micronaut", "server", "port");
    assertThat(port)
        .as("micronaut.server.port in " + image.settingsFile)
        .isInstanceOf(Integer.class);
    return (Integer) port;
  }

  /** Micronaut's rule: lineup.intake.database.url -> LINEUP_INTAKE_DATABASE_URL. */
  static String envName(String key) {
    return SettingsCatalogue.variable(key);
  }

  /** The image's repository, without its tag or digest: lineup/intake:1.0 -> lineup/intake. */
  static String repository(String image) {
    String withoutDigest = image.split("@", 2)[0];
    int slash = withoutDigest.lastIndexOf('/');
    int colon = withoutDigest.lastIndexOf(':');
    return colon > slash ? withoutDigest.substring(0, colon) : withoutDigest;
  }

  static Set<String> keys(Image image) {
    return SettingsCatalogue.ofFile(ROOT.resolve(image.settingsFile)).properties();
  }

  private static Map<String, Object> load(Image image) {
    Path file = ROOT.resolve(image.settingsFile);
    try {
      return SettingsCatalogue.tree(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Object path(Map<String, Object> map, String... keys) {
    Object at = map;
    for (String key : keys) {
      at = at instanceof Map<?, ?> m ? ((Map<String, Object>) m).get(key) : null;
    }
    return at;
  }
}
