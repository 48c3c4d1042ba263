package dev.lineup.intake.publish;

import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.DurableProducer;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Publishes the few lifecycle events intake writes itself (a schedule's skipped firing) to {@code
 * lineup.events}, keyed by host id, durably as commands are.
 */
@Singleton
public final class EventPublisher implements AutoCloseable {

  private final KafkaProducer<String, LifecycleEvent> producer;
  private final Duration timeout;

  public EventPublisher(
      ProducerSettings producerSettings,
      KafkaConnection kafka,
      @Value("${lineup.intake.publish-timeout}") Duration timeout) {
    this.timeout = timeout;
    this.producer =
        DurableProducer.create(producerSettings, kafka, "intake-events", timeout, Topics.EVENTS);
  }

  /** Returns once the event is durably on the topic. */
  public void publish(LifecycleEvent event) {
    DurableProducer.await(
        producer.send(new ProducerRecord<>(Topics.EVENTS.name(), event.getHostId(), event)),
        timeout,
        "the event");
  }

  @PreDestroy
  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
