package dev.lineup.intake.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.embedded.TopicReader;
import dev.lineup.intake.IntakeTestDatabase;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rules 14 and 16 for the ledger projection, on a real broker and PostgreSQL: output with NUL is
 * recorded, an event PostgreSQL refuses goes to {@code lineup.ledger.dlq}, and the events after
 * either, in the same partition, are projected.
 */
@ExtendWith(LineupInfrastructure.class)
class LedgerProjectionDeadLetterTest {

  private static HikariDataSource db;
  private static Ledger ledger;
  private static LedgerProjection projection;
  private static String bootstrap;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    bootstrap = kafka.bootstrapServers();
    db = IntakeTestDatabase.open(database, "ledger_dlq_test");
    ledger = new Ledger(db);
    projection =
        new LedgerProjection(
            ledger,
            ProducerSettings.DEFAULTS,
            KafkaConnection.plaintext(bootstrap),
            "ledger-dlq-test-" + UUID.randomUUID(),
            500,
            Duration.ofMillis(200),
            "t1");
  }

  @AfterAll
  static void stop() {
    projection.close();
    db.close();
  }

  private static LifecycleEvent succeeded(String id, Instant at, String output) {
    return LifecycleEvent.newBuilder()
        .setEventId(id + ":1")
        .setActivityId(id)
        .setHostId("same-host")
        .setSequence(1)
        .setState(ActivityState.SUCCEEDED)
        .setReason(ReasonCode.SUCCEEDED)
        .setOccurredAt(at)
        .setType(ActivityType.SCRIPT_RUN)
        .setAcceptedAt(Instant.parse("2026-11-24T10:00:00Z"))
        .setAttempt(1)
        .setExitCode(0)
        .setOutput(output)
        .build();
  }

  @Test
  void nulOutputIsRecordedAndAnEventPostgresRefusesIsDeadLetteredWithoutStoppingThePartition()
      throws Exception {
    String withNul = UUID.randomUUID().toString();
    String outOfRange = UUID.randomUUID().toString();
    String after = UUID.randomUUID().toString();
    Instant now = Instant.parse("2026-12-01T10:00:00Z");
    try (var producer =
        new KafkaProducer<>(
            Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            Topics.EVENTS.keySerde().serializer(),
            Topics.EVENTS.valueSerde().serializer())) {
      producer.send(
          new ProducerRecord<>(
              Topics.EVENTS.name(), "same-host", succeeded(withNul, now, "ok\u0000tail")));
      // Year 300,000: an Instant holds it, PostgreSQL's timestamptz does not.
      producer.send(
          new ProducerRecord<>(
              Topics.EVENTS.name(),
              "same-host",
              succeeded(outOfRange, Instant.parse("+300000-01-01T00:00:00Z"), "x")));
      producer.send(
          new ProducerRecord<>(Topics.EVENTS.name(), "same-host", succeeded(after, now, "fine")));
      producer.flush();
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ledger.find(after).isPresent() && ledger.find(withNul).isPresent());
    assertThat(ledger.find(withNul).orElseThrow().result().output()).isEqualTo("ok\uFFFDtail");
    assertThat(ledger.find(after).orElseThrow().state()).isEqualTo("SUCCEEDED");
    assertThat(ledger.find(outOfRange)).isEmpty();

    ConsumerRecord<byte[], byte[]> dead = deadLetterFor(outOfRange);
    assertThat(DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.REASON))
        .containsIgnoringCase("out of range");
    assertThat(DeadLetterHeaders.read(dead.headers(), DeadLetterHeaders.SOURCE_TOPIC))
        .isEqualTo(Topics.EVENTS.name());
    assertThat(projection.ready()).isTrue();
  }

  /** The one dead letter of the event of {@code activityId}, once it is there. */
  private static ConsumerRecord<byte[], byte[]> deadLetterFor(String activityId) {
    var dead =
        new TopicReader(bootstrap)
            .await(
                Topics.LEDGER_DLQ.name(),
                r ->
                    Topics.EVENTS
                        .valueSerde()
                        .deserializer()
                        .deserialize("", r.value())
                        .getActivityId()
                        .equals(activityId));
    assertThat(dead).as("dead letters of " + activityId).hasSize(1);
    return dead.get(0);
  }
}
