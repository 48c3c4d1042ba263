package dev.lineup.gateway.agent;

import dev.lineup.avro.ActivityResult;
import dev.lineup.schemas.Topics;
import dev.lineup.service.problem.ApiException;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpStatus;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Reports to {@code lineup.results}, durably (acks=all, idempotent), before an agent gets its 200.
 */
@Context
public final class ResultPublisher implements AutoCloseable {

  private final KafkaProducer<String, ActivityResult> producer;

  public ResultPublisher(@Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers) {
    producer =
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
                ProducerConfig.CLIENT_ID_CONFIG,
                "gateway-results"),
            Topics.RESULTS.keySerde().serializer(),
            Topics.RESULTS.valueSerde().serializer());
  }

  public void publish(ActivityResult result) {
    try {
      producer
          .send(new ProducerRecord<>(Topics.RESULTS.name(), result.getHostId(), result))
          .get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new ApiException(
          HttpStatus.SERVICE_UNAVAILABLE,
          "Queue unavailable",
          "the report could not be stored: retry");
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
