package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lineup.embedded.FreePorts;
import dev.lineup.schemas.Topic;
import java.time.Duration;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

/** A durable send answers within its timeout, also when the broker is gone. */
class DurableProducerTest {

  private static final Topic<String, String> TOPIC =
      new Topic<>("lineup.durable-test", Serdes.String(), Serdes.String());

  @Test
  void aSendToAGoneBrokerAnswers503WithinTheTimeout() {
    // Nothing listens on this port: the producer never learns the topic's partitions.
    KafkaConnection gone = KafkaConnection.plaintext("127.0.0.1:" + FreePorts.pick());
    Duration timeout = Duration.ofSeconds(2);

    try (var producer = DurableProducer.create(gone, "durable-test", timeout, TOPIC)) {
      long started = System.nanoTime();
      assertTimeoutPreemptively(
          Duration.ofSeconds(15),
          () ->
              assertThatThrownBy(
                      () ->
                          DurableProducer.await(
                              producer.send(new ProducerRecord<>(TOPIC.name(), "h", "v")),
                              timeout,
                              "the command"))
                  .isInstanceOf(NotStoredException.class)
                  .hasMessage("the command could not be stored")
                  .satisfies(e -> assertThat(Failures.isTransient(e)).isTrue()));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
      producer.close(Duration.ZERO);
    }
  }
}
