package dev.lineup.service.kafka;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SecurityConfig;

/**
 * Where Kafka is and how to reach it: {@code lineup.kafka.bootstrap-servers}, and the TLS and SASL
 * settings of the Kafka client properties file named by {@code lineup.kafka.config} (environment
 * {@code LINEUP_KAFKA_CONFIG}, the same file the CLI's {@code --kafka-config} reads). Every Kafka
 * client a service makes (producers, consumers, Kafka Streams, the admin client) starts from {@link
 * #clientConfig()}, so a cluster that only accepts authenticated clients sees no plaintext one.
 *
 * <p>The file carries connection settings only: {@code security.protocol}, {@code
 * security.providers}, {@code client.dns.lookup}, and Kafka's {@code ssl.*} and {@code sasl.*}
 * client settings. Anything else in it (a misspelt key, {@code acks}, {@code isolation.level},
 * {@code bootstrap.servers}) stops the service as it starts, naming the key: a guarantee Lineup
 * sets must not be weakened from a file meant for credentials, and a misspelt setting must not be
 * ignored in silence. The file holds passwords, so its values are never logged or shown; Kafka's
 * own configuration log shows them as {@code [hidden]}.
 */
@Singleton
public final class KafkaConnection {

  /** The setting naming the file, for messages. */
  static final String SETTING = "lineup.kafka.config";

  private static final Set<String> CONNECTION_KEYS =
      Set.of(
          CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
          SecurityConfig.SECURITY_PROVIDERS_CONFIG,
          CommonClientConfigs.CLIENT_DNS_LOOKUP_CONFIG);

  private final String bootstrapServers;
  private final Map<String, String> settings;

  private KafkaConnection(String bootstrapServers, Map<String, String> settings) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("lineup.kafka.bootstrap-servers is not set");
    }
    this.bootstrapServers = bootstrapServers;
    this.settings = Map.copyOf(settings);
  }

  /**
   * @param configFile a Kafka client properties file with TLS or SASL settings; blank for none
   */
  @Inject
  public KafkaConnection(
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.kafka.config:}") String configFile) {
    this(
        bootstrapServers,
        configFile == null || configFile.isBlank() ? Map.of() : read(Path.of(configFile.strip())));
  }

  /** A cluster reached in plaintext, without authentication: the devstack's, the tests'. */
  public static KafkaConnection plaintext(String bootstrapServers) {
    return new KafkaConnection(bootstrapServers, Map.of());
  }

  /** The same cluster, reached with these connection settings (checked as the file's are). */
  public static KafkaConnection of(String bootstrapServers, Map<String, String> settings) {
    checked(settings, "the connection settings");
    return new KafkaConnection(bootstrapServers, settings);
  }

  /**
   * The connection a client configuration was built with: its bootstrap servers and connection
   * settings, for a second client that must reach the same cluster the same way.
   */
  public static KafkaConnection of(Map<String, Object> clientConfig) {
    Map<String, String> settings = new HashMap<>();
    clientConfig.forEach(
        (key, value) -> {
          if (isConnectionSetting(key) && value != null) {
            settings.put(key, String.valueOf(value));
          }
        });
    return new KafkaConnection(
        String.valueOf(clientConfig.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)), settings);
  }

  /**
   * A new, mutable client configuration holding the bootstrap servers and the connection settings;
   * each client adds its own settings to it.
   */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>(settings);
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return config;
  }

  /** The bootstrap servers and which settings are set, never their values (they hold secrets). */
  @Override
  public String toString() {
    return "Kafka at " + bootstrapServers + " with " + new TreeSet<>(settings.keySet());
  }

  private static Map<String, String> read(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          SETTING + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
    }
    Map<String, String> settings = new TreeMap<>();
    properties.forEach((k, v) -> settings.put(k.toString().strip(), v.toString().strip()));
    checked(settings, SETTING + " (" + file + ")");
    return settings;
  }

  private static void checked(Map<String, String> settings, String source) {
    for (String key : new TreeSet<>(settings.keySet())) {
      if (!isConnectionSetting(key)) {
        throw new IllegalArgumentException(
            source
                + ": '"
                + key
                + "' is not a Kafka client connection setting. This file holds only"
                + " security.protocol, security.providers, client.dns.lookup and Kafka's ssl.* and"
                + " sasl.* client settings; the bootstrap servers are"
                + " lineup.kafka.bootstrap-servers, and Lineup sets its producers' and consumers'"
                + " guarantees itself");
      }
    }
  }

  /**
   * A setting the file may carry: one of the few connection settings, or an {@code ssl.*} or {@code
   * sasl.*} setting every kind of Kafka client knows.
   */
  private static boolean isConnectionSetting(String key) {
    if (CONNECTION_KEYS.contains(key)) {
      return true;
    }
    return (key.startsWith("ssl.") || key.startsWith("sasl."))
        && ProducerConfig.configNames().contains(key)
        && ConsumerConfig.configNames().contains(key)
        && AdminClientConfig.configNames().contains(key);
  }
}
