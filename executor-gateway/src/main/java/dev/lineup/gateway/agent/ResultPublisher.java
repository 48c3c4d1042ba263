package dev.lineup.gateway.agent;

import dev.lineup.avro.ActivityResult;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.DurableProducer;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Reports to {@code lineup.results}, durably (acks=all, idempotent), before an agent gets its 200.
 */
@Context
public final class ResultPublisher implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final KafkaProducer<String, ActivityResult> producer;

  public ResultPublisher(ProducerSettings producerSettings, KafkaConnection kafka) {
    producer =
        DurableProducer.create(producerSettings, kafka, "gateway-results", TIMEOUT, Topics.RESULTS);
  }

  public void publish(ActivityResult result) {
    DurableProducer.await(
        producer.send(new ProducerRecord<>(Topics.RESULTS.name(), result.getHostId(), result)),
        TIMEOUT,
        "the report");
  }

  @PreDestroy
  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
