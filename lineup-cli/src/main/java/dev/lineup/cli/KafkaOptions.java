package dev.lineup.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where Kafka is, for the commands that read or write topics directly (events, dead letters). */
final class KafkaOptions {

  static final String DEFAULT_BOOTSTRAP = "localhost:9092";

  /** How long a command waits for the cluster to answer at all before it gives up (exit 1). */
  static final int API_TIMEOUT_MS = 15_000;

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = {"--bootstrap-servers", "--bootstrap"},
      paramLabel = "HOST:PORT",
      description =
          "Kafka bootstrap servers (env LINEUP_BOOTSTRAP, else LINEUP_KAFKA_BOOTSTRAP_SERVERS;"
              + " default "
              + DEFAULT_BOOTSTRAP
              + ").")
  String bootstrap;

  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      description =
          "A Kafka client properties file, for TLS or SASL (env LINEUP_KAFKA_CONFIG); its"
              + " bootstrap.servers loses to --bootstrap-servers.")
  Path config;

  String bootstrapServers() {
    LineupCli root = LineupCli.of(spec);
    if (bootstrap != null) {
      return bootstrap;
    }
    for (String name : new String[] {"LINEUP_BOOTSTRAP", "LINEUP_KAFKA_BOOTSTRAP_SERVERS"}) {
      String value = root.env(name);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return DEFAULT_BOOTSTRAP;
  }

  /** The client settings every command here starts from. */
  Map<String, Object> clientConfig() {
    Map<String, Object> settings = new HashMap<>();
    Path file = config;
    String env = LineupCli.of(spec).env("LINEUP_KAFKA_CONFIG");
    if (file == null && env != null && !env.isBlank()) {
      file = Path.of(env);
    }
    if (file != null) {
      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        properties.load(reader);
      } catch (IOException e) {
        throw CliFailure.misused(
            "--kafka-config: cannot read " + file + " (" + e.getMessage() + ")");
      }
      properties.forEach((k, v) -> settings.put(k.toString(), v));
    }
    if (bootstrap != null || !settings.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
      settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    }
    settings.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, API_TIMEOUT_MS);
    settings.put(CommonClientConfigs.CLIENT_ID_CONFIG, "lineup-cli");
    return settings;
  }
}
