package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The defaults are the settings each producer was built with by hand before. */
class ProducerSettingsTest {

  private static final ProducerSettings DEFAULTS = ProducerSettings.DEFAULTS;

  @Test
  void aDurableProducerWaitsForEveryReplicaWithinItsTimeout() {
    Map<String, Object> config =
        DEFAULTS.durable(
            KafkaConnection.plaintext("k:9092"), "intake-commands", Duration.ofSeconds(10));

    assertThat(config)
        .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "k:9092")
        .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, "intake-commands")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 1)
        .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000)
        .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000)
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000L)
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
  }

  @Test
  void aTransactionalProducerBlocksAtMostItsOwnTimeoutOrKafkasMinute() {
    Map<String, Object> batches =
        DEFAULTS.transactional(
            KafkaConnection.plaintext("k:9092"),
            "lineup-intake-batches-i1",
            "intake-batches",
            Duration.ofSeconds(10),
            Duration.ofSeconds(15));
    Map<String, Object> frontDoor =
        DEFAULTS.transactional(
            KafkaConnection.plaintext("k:9092"), "lineup-intake-front-door-i1", null, null, null);

    assertThat(batches)
        .containsEntry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lineup-intake-batches-i1")
        .containsEntry(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 15_000)
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000L)
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 5)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    assertThat(frontDoor)
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000L)
        .doesNotContainKeys(
            ProducerConfig.CLIENT_ID_CONFIG, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
  }

  @Test
  void aDeadLetterProducerGivesUpWithinTheAcknowledgementWait() {
    Map<String, Object> config =
        DEFAULTS.deadLetters(
            KafkaConnection.plaintext("k:9092"), "ledger-projection-dlq", Duration.ofSeconds(30));

    assertThat(config)
        .containsEntry(ProducerConfig.CLIENT_ID_CONFIG, "ledger-projection-dlq")
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000)
        .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000)
        .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
  }
}
