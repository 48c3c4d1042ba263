package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.PropertySource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS and SASL settings an operator gives a service in a Kafka client properties file ({@code
 * LINEUP_KAFKA_CONFIG}) reach every client it makes, and nothing else may come in that way.
 */
class KafkaConnectionTest {

  private static final String JAAS =
      "org.apache.kafka.common.security.scram.ScramLoginModule required"
          + " username=\"lineup\" password=\"s3cret-value\";";

  @TempDir Path dir;

  private Path file(String text) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void theFileNamedByTheEnvironmentReachesProducersConsumersAndAdminClients() throws Exception {
    Path file =
        file(
            "# from the Kafka provider\n"
                + "security.protocol=SASL_SSL\n"
                + "sasl.mechanism=SCRAM-SHA-512\n"
                + "sasl.jaas.config="
                + JAAS
                + "\n"
                + "ssl.truststore.location=/etc/lineup/kafka/truststore.p12\n");
    try (ApplicationContext context =
        ApplicationContext.builder()
            .deduceEnvironment(false)
            .propertySources(
                PropertySource.of(
                    "environment",
                    Map.of(
                        "LINEUP_KAFKA_BOOTSTRAP_SERVERS",
                        "kafka-0:9093",
                        "LINEUP_KAFKA_CONFIG",
                        file.toString()),
                    PropertySource.PropertyConvention.ENVIRONMENT_VARIABLE))
            .start()) {
      KafkaConnection kafka = context.getBean(KafkaConnection.class);

      Map<String, Object> expected =
          Map.of(
              "bootstrap.servers", "kafka-0:9093",
              "security.protocol", "SASL_SSL",
              "sasl.mechanism", "SCRAM-SHA-512",
              "sasl.jaas.config", JAAS,
              "ssl.truststore.location", "/etc/lineup/kafka/truststore.p12");
      assertThat(kafka.clientConfig()).containsExactlyInAnyOrderEntriesOf(expected);
      ProducerSettings producers = ProducerSettings.DEFAULTS;
      assertThat(producers.durable(kafka, "c", Duration.ofSeconds(5)))
          .containsAllEntriesOf(expected);
      assertThat(producers.transactional(kafka, "t", null, null, null))
          .containsAllEntriesOf(expected);
      assertThat(producers.deadLetters(kafka, "d", Duration.ofSeconds(5)))
          .containsAllEntriesOf(expected);
      assertThat(GroupMembership.member(kafka, "g", "i")).containsAllEntriesOf(expected);
      assertThat(KafkaConnection.of(GroupMembership.member(kafka, "g", "i")).clientConfig())
          .as("the connection a consumer was made with, for its dead-letter producer")
          .containsExactlyInAnyOrderEntriesOf(expected);
    }
  }

  @Test
  void withoutAFileTheClusterIsReachedInPlaintext() {
    KafkaConnection kafka = new KafkaConnection("kafka-0:9092", "");

    assertThat(kafka.clientConfig())
        .containsExactly(Map.entry("bootstrap.servers", "kafka-0:9092"));
  }

  @Test
  void aSettingThatIsNotAboutReachingTheClusterStopsTheServiceNamingIt() throws Exception {
    for (String line :
        new String[] {
          "acks=1",
          "isolation.level=read_uncommitted",
          "enable.idempotence=false",
          "bootstrap.servers=elsewhere:9092",
          "sasl.mechansim=PLAIN",
          "ssl.keystore.locaton=/k.p12"
        }) {
      Path file = file("security.protocol=SSL\n" + line + "\n");
      String key = line.substring(0, line.indexOf('='));

      assertThatThrownBy(() -> new KafkaConnection("kafka-0:9092", file.toString()))
          .as(line)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("lineup.kafka.config")
          .hasMessageContaining("'" + key + "' is not a Kafka client connection setting");
    }
  }

  @Test
  void aFileThatCannotBeReadStopsTheServiceSayingWhich() {
    Path missing = dir.resolve("absent.properties");

    assertThatThrownBy(() -> new KafkaConnection("kafka-0:9092", missing.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lineup.kafka.config: cannot read " + missing);
  }

  @Test
  void theConnectionNeverShowsItsValues() throws Exception {
    Path file = file("security.protocol=SASL_SSL\nsasl.jaas.config=" + JAAS + "\n");

    String shown = new KafkaConnection("kafka-0:9093", file.toString()).toString();

    assertThat(shown)
        .contains("kafka-0:9093", "sasl.jaas.config", "security.protocol")
        .doesNotContain("s3cret-value")
        .doesNotContain("SASL_SSL");
  }
}
