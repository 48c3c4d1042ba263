package dev.lineup.intake.publish;

import dev.lineup.avro.Command;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.NotStoredException;
import dev.lineup.service.kafka.ProducerSettings;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a batch's commands in one Kafka transaction: the sequencer (reading committed records
 * only) sees all of them or none.
 *
 * <p>The transactional id is stable per intake instance ({@code lineup.intake.instance-id}), so an
 * instance restarted after a crash fences its predecessor and aborts its open transaction at once;
 * a random id would leave that transaction blocking every read_committed consumer of its partitions
 * until it timed out. Two instances must not share an instance id. Batches of one instance are
 * published one at a time (one producer, one open transaction).
 */
@Context
public final class BatchPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BatchPublisher.class);

  private final KafkaProducer<String, Command> producer;

  public BatchPublisher(
      ProducerSettings producerSettings,
      KafkaConnection kafka,
      @Value("${lineup.intake.instance-id}") String instanceId,
      @Value("${lineup.intake.batch-transaction-timeout}") Duration transactionTimeout,
      @Value("${lineup.intake.publish-timeout}") Duration publishTimeout) {
    producer =
        new KafkaProducer<>(
            // Every blocking call (send, commit) gives up after the publish timeout, as a single
            // enqueue does, instead of Kafka's default minute when the broker is gone.
            producerSettings.transactional(
                kafka,
                "lineup-intake-batches-" + instanceId,
                "intake-batches",
                publishTimeout,
                transactionTimeout),
            Topics.COMMANDS.keySerde().serializer(),
            Topics.COMMANDS.valueSerde().serializer());
    producer.initTransactions();
  }

  public synchronized void publish(List<Command> commands) {
    try {
      producer.beginTransaction();
      for (Command command : commands) {
        producer.send(new ProducerRecord<>(Topics.COMMANDS.name(), command.getHostId(), command));
      }
      producer.commitTransaction();
    } catch (ProducerFencedException e) {
      // Another instance took this instance id: a configuration error, not a retryable one.
      LOG.error("batch producer fenced: is lineup.intake.instance-id shared by two intakes?", e);
      throw new NotStoredException("batch publishing is fenced: nothing was enqueued", e);
    } catch (KafkaException e) {
      LOG.warn("batch transaction failed; aborting it", e);
      try {
        producer.abortTransaction();
      } catch (KafkaException abort) {
        LOG.warn("could not abort the batch transaction", abort);
      }
      throw new NotStoredException("the batch could not be stored: nothing was enqueued", e);
    }
  }

  @PreDestroy
  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
