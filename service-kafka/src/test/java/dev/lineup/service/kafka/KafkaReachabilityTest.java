package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.FreePorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A service's Kafka check against a real broker that stops and starts again on the same port and
 * log, and against one that refuses the service's password: {@code /health}'s answer and the gauge
 * follow the broker, and the log says each change once.
 */
class KafkaReachabilityTest {

  private static final Duration EVERY = Duration.ofMillis(200);
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(1);

  private final Logger logger = (Logger) LoggerFactory.getLogger(KafkaReachability.class);
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

  @BeforeEach
  void listen() {
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(lines);
    lines.stop();
  }

  @Test
  void aBrokerThatStopsAndComesBackIsSaidOnceEachWayAndHealthFollowsIt() throws Exception {
    Path dir = Files.createTempDirectory("reachability-");
    int port = FreePorts.orFree(0);
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, port, Map.of());
    var registry = new SimpleMeterRegistry();
    try (var check =
        new KafkaReachability(
            KafkaConnection.plaintext(kafka.bootstrapServers()), EVERY, ANSWER_WITHIN)) {
      check.instrument(registry);
      await().atMost(Duration.ofSeconds(30)).until(check::ready);
      assertThat(check.detail()).isNull();
      assertThat(registry.get("lineup.kafka.reachable").gauge().value()).isEqualTo(1.0);
      assertThat(lines.list).as("nothing said while all is well").isEmpty();

      kafka.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> !check.ready());
      assertThat(check.detail()).isEqualTo("no Kafka broker answered within 1 s");
      assertThat(registry.get("lineup.kafka.reachable").gauge().value()).isZero();
      // Several more checks fail while the broker stays away: still the one line.
      Thread.sleep(ANSWER_WITHIN.multipliedBy(3).toMillis());
      assertThat(lines.list)
          .singleElement()
          .satisfies(
              line -> {
                assertThat(line.getLevel()).isEqualTo(Level.WARN);
                assertThat(line.getFormattedMessage())
                    .startsWith("Kafka stopped answering: no broker answered")
                    .contains("127.0.0.1:" + port);
              });

      kafka = EmbeddedKafka.start(dir, port, Map.of());
      await().atMost(Duration.ofSeconds(60)).until(check::ready);
      assertThat(registry.get("lineup.kafka.reachable").gauge().value()).isEqualTo(1.0);
      assertThat(lines.list).hasSize(2);
      assertThat(lines.list.get(1).getLevel()).isEqualTo(Level.INFO);
      assertThat(lines.list.get(1).getFormattedMessage()).startsWith("Kafka answers again after ");
    } finally {
      kafka.close();
    }
  }

  @Test
  void aBrokerThatRefusesTheCredentialsIsNamedAndThePasswordIsNot() throws Exception {
    Path dir = Files.createTempDirectory("reachability-sasl-");
    String password = "pw-" + UUID.randomUUID();
    String wrong = "wrong-" + UUID.randomUUID();
    try (var kafka = EmbeddedKafka.startWithSaslPlain(dir, "lineup", password);
        var refused =
            new KafkaReachability(
                KafkaConnection.of(kafka.bootstrapServers(), sasl(wrong)), EVERY, ANSWER_WITHIN);
        var admitted =
            new KafkaReachability(
                KafkaConnection.of(kafka.bootstrapServers(), sasl(password)),
                EVERY,
                ANSWER_WITHIN)) {
      await().atMost(Duration.ofSeconds(30)).until(admitted::ready);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> refused.detail() != null && refused.detail().contains("credentials"));
      assertThat(refused.ready()).isFalse();
      assertThat(refused.detail()).isEqualTo("Kafka refuses this service's credentials or TLS");
      Thread.sleep(ANSWER_WITHIN.multipliedBy(2).toMillis());
      List<String> said = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(said)
          .singleElement()
          .satisfies(
              line ->
                  assertThat(line)
                      .startsWith("Kafka does not answer: it refuses this service's credentials")
                      .doesNotContain(wrong)
                      .doesNotContain(password));
    }
  }

  private static Map<String, String> sasl(String password) {
    return Map.of(
        "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", "PLAIN",
        "sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"lineup\" password=\""
                + password
                + "\";");
  }
}
