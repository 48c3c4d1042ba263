package dev.lineup.intake.publish;

import dev.lineup.avro.Command;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.DurableProducer;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;

/**
 * Publishes commands to {@code lineup.commands}, keyed by host id. A command counts as accepted
 * only once every in-sync replica has it (acks=all, idempotent producer): the 202 follows that.
 */
// Eager: a producer that cannot be built fails the start-up, not the first request.
@Context
public final class CommandPublisher implements AutoCloseable {

  private final KafkaProducer<String, Command> producer;
  private final Duration timeout;

  public CommandPublisher(
      ProducerSettings producerSettings,
      KafkaConnection kafka,
      @Value("${lineup.intake.publish-timeout}") Duration timeout) {
    this.timeout = timeout;
    this.producer =
        DurableProducer.create(
            producerSettings, kafka, "intake-commands", timeout, Topics.COMMANDS);
  }

  /** Returns once the command is durably on the topic; a 503 if Kafka does not take it in time. */
  public void publish(Command command) {
    await(
        producer.send(new ProducerRecord<>(Topics.COMMANDS.name(), command.getHostId(), command)));
  }

  /**
   * Writes {@code command} to every partition of {@code lineup.commands}, keyed {@link
   * Topics#BROADCAST_KEY}; returns the number of partitions once every copy is durable.
   */
  public int broadcast(Command command) {
    List<PartitionInfo> partitions = producer.partitionsFor(Topics.COMMANDS.name());
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    for (PartitionInfo partition : partitions) {
      sent.add(
          producer.send(
              new ProducerRecord<>(
                  Topics.COMMANDS.name(), partition.partition(), Topics.BROADCAST_KEY, command)));
    }
    for (Future<RecordMetadata> copy : sent) {
      await(copy);
    }
    return partitions.size();
  }

  private void await(Future<RecordMetadata> sent) {
    DurableProducer.await(sent, timeout, "the command");
  }

  @PreDestroy
  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
