package dev.lineup.intake.publish;

import dev.lineup.avro.Command;
import dev.lineup.schemas.Topics;
import dev.lineup.service.problem.ApiException;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpStatus;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
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
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.intake.publish-timeout}") Duration timeout) {
    this.timeout = timeout;
    this.producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.LINGER_MS_CONFIG,
                1,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                (int) timeout.toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                // Kafka requires delivery.timeout >= linger + request.timeout.
                (int) Math.max(1_000, timeout.toMillis() / 2),
                ProducerConfig.CLIENT_ID_CONFIG,
                "intake-commands"),
            Topics.COMMANDS.keySerde().serializer(),
            Topics.COMMANDS.valueSerde().serializer());
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
    try {
      sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          "Queue unavailable",
          "the command could not be stored: try again");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "Interrupted", "shutting down");
    }
  }

  @PreDestroy
  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
