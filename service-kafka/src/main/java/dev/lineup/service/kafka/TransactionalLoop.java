package dev.lineup.service.kafka;

import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import dev.lineup.service.health.Readiness;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
 *       transaction is aborted, the batch is read again from its first offset after a capped
 *       backoff, and {@link #ready()} is false until a batch commits or a poll finds nothing left.
 * </ul>
 *
 * The transform sees raw bytes and decodes them itself, so a record that does not decode is its to
 * refuse in the order it chose. {@link ConsumerLoop} is the at-least-once sibling, for consumers
 * that write to a database rather than to Kafka.
 */
public final class TransactionalLoop implements Readiness, AutoCloseable {

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
  private static final Duration POLL = Duration.ofMillis(200);

  private final String name;
  private final String deadLetterTopic;
  private final List<String> topics;
  private final Transform transform;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Output output;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean polled = new AtomicBoolean(false);
  private final AtomicReference<String> stalledBy = new AtomicReference<>();
  private final Thread thread;

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
    this.name = name;
    this.topics = List.of(topic.name());
    this.deadLetterTopic = deadLetterTopic.name();
    this.transform = transform;
    Map<String, Object> props = new HashMap<>(consumerConfig);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
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
            producer.send(
                DeadLetterHeaders.deadLetter(
                    TransactionalLoop.this.deadLetterTopic,
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
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  public TransactionalLoop start() {
    consumer.subscribe(topics);
    thread.start();
    return this;
  }

  @Override
  public String name() {
    return name;
  }

  /** Consuming, and not held up by an unreachable broker or database. */
  @Override
  public boolean ready() {
    return polled.get() && thread.isAlive() && stalledBy.get() == null;
  }

  private void run() {
    Duration backoff = Failures.FIRST_BACKOFF;
    try {
      while (running.get()) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(POLL);
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) {
          // The broker away, or a fetch that failed: poll again after a pause, never die.
          stalledBy.set(Failures.describe(e, Failures.MAX_REASON));
          Thread.sleep(backoff.toMillis());
          backoff = Failures.nextBackoff(backoff);
          continue;
        }
        polled.set(true);
        if (records.isEmpty()) {
          // Nothing read again is waiting: whatever held the loop up has passed.
          recovered();
          continue;
        }
        try {
          producer.beginTransaction();
          transform.transform(records, output);
          producer.sendOffsetsToTransaction(following(records), consumer.groupMetadata());
          producer.commitTransaction();
          recovered();
          backoff = Failures.FIRST_BACKOFF;
        } catch (WakeupException e) {
          throw e;
        } catch (Exception e) {
          // Only transient failures get here (the transform dead-letters the others): the broker
          // or the database is away. Abort, and read the batch again once it is back.
          if (stalledBy.getAndSet(Failures.describe(e, Failures.MAX_REASON)) == null) {
            LOG.warn(
                "{}: {}; retrying with backoff (health is down meanwhile)", name, stalledBy.get());
          }
          abortQuietly();
          rewind(records);
          Thread.sleep(backoff.toMillis());
          backoff = Failures.nextBackoff(backoff);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      consumer.close(Duration.ofSeconds(5));
      producer.close(Duration.ofSeconds(5));
    }
  }

  private void recovered() {
    if (stalledBy.getAndSet(null) != null) {
      LOG.info("{}: recovered", name);
    }
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

  private void abortQuietly() {
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      LOG.debug("{}: abort failed", name, e);
    }
  }

  /** Back to the batch's first offsets, which are the last committed ones. */
  private void rewind(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition p : records.partitions()) {
      consumer.seek(p, records.records(p).get(0).offset());
    }
  }

  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
