package dev.lineup.service.kafka;

import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consume-transform-produce thread: what a {@link Transform} writes for each polled batch, its
 * dead letters, and the batch's offsets commit in one Kafka transaction, so a crash neither loses
 * nor repeats a record's effect (rule 14):
 *
 * <ul>
 *   <li>a record that fails for a reason of its own goes to the dead-letter topic, with the reason,
 *       source topic, partition and offset in headers, inside the same transaction ({@link
 *       Output#deadLetter}); the transform decides which those are ({@link Failures});
 *   <li>anything the transform throws is taken as transient (broker or database away): the
 *       transaction is aborted and the batch is read again ({@link PollingLoop}).
 * </ul>
 *
 * The transform sees raw bytes and decodes them itself, so a record that does not decode is its to
 * refuse in the order it chose. {@link ConsumerLoop} is the at-least-once sibling, for consumers
 * that write to a database rather than to Kafka.
 */
public final class TransactionalLoop extends PollingLoop {

  /** What the loop does with a polled batch, inside its transaction. */
  @FunctionalInterface
  public interface Transform {
    /**
     * Writes the batch's results to {@code out}; throws only transient failures (a record refused
     * for its own reasons is dead-lettered, not thrown, or it would be read again forever).
     */
    void transform(ConsumerRecords<byte[], byte[]> records, Output out) throws Exception;
  }

  /** Where a transform writes: into the batch's transaction. */
  public interface Output {
    void send(ProducerRecord<byte[], byte[]> record);

    /** {@code record} to the dead-letter topic, {@code reason} and its origin in headers. */
    void deadLetter(ConsumerRecord<byte[], byte[]> record, String reason);
  }

  private static final Logger LOG = LoggerFactory.getLogger(TransactionalLoop.class);

  private final Transform transform;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Output output;

  /** Dead letters of committed transactions; those of the open one wait in {@link #pending}. */
  private long pending;

  /**
   * @param name the thread, the health check, and the dead letters' {@link
   *     DeadLetterHeaders#CONSUMER} header
   * @param consumerConfig consumer settings (bootstrap servers, group id, ...); offsets are
   *     committed by the transaction and reads are read_committed
   * @param producerConfig a transactional producer's settings ({@link
   *     ProducerSettings#transactional}); its transactions are initialised here
   */
  public TransactionalLoop(
      String name,
      Map<String, Object> consumerConfig,
      Map<String, Object> producerConfig,
      Topic<?, ?> topic,
      Topic<byte[], byte[]> deadLetterTopic,
      Transform transform) {
    super(name, consumerConfig, List.of(topic.name()), deadLetterTopic.name());
    this.transform = transform;
    this.producer =
        new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    this.output =
        new Output() {
          @Override
          public void send(ProducerRecord<byte[], byte[]> record) {
            producer.send(record);
          }

          @Override
          public void deadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
            pending++;
            producer.send(
                DeadLetterHeaders.deadLetter(
                    deadLetterTopic.name(),
                    record.key(),
                    record.value(),
                    reason,
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    name));
          }
        };
    producer.initTransactions();
  }

  public TransactionalLoop start() {
    begin();
    return this;
  }

  /** The transactional producer's metrics; dead letters count when their transaction commits. */
  @Override
  protected void instrumentProducer(MeterRegistry registry) {
    bindClient(producer, registry);
  }

  @Override
  protected void process(ConsumerRecords<byte[], byte[]> records) throws Exception {
    pending = 0;
    producer.beginTransaction();
    transform.transform(records, output);
    producer.sendOffsetsToTransaction(following(records), consumer.groupMetadata());
    producer.commitTransaction();
    countDeadLetters(pending);
    pending = 0;
  }

  @Override
  protected void rollBack() {
    pending = 0;
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      LOG.debug("{}: abort failed", name(), e);
    }
  }

  @Override
  protected void closeClients(Duration timeout) {
    producer.close(timeout);
  }

  /** Where each partition of the batch is read from next: past its last record. */
  private static Map<TopicPartition, OffsetAndMetadata> following(
      ConsumerRecords<byte[], byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (TopicPartition p : records.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> inPartition = records.records(p);
      next.put(p, new OffsetAndMetadata(inPartition.get(inPartition.size() - 1).offset() + 1));
    }
    return next;
  }
}
