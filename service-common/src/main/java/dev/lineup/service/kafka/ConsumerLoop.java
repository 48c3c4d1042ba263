package dev.lineup.service.kafka;

import dev.lineup.schemas.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer thread that hands each polled batch to a handler and commits only after the handler
 * returned, so a crash re-delivers rather than loses (handlers are idempotent). A handler failure
 * is treated as an infrastructure fault: the batch is re-read after a backoff. A record that cannot
 * be decoded is logged and skipped; it never stops the loop.
 */
public final class ConsumerLoop<K, V> implements AutoCloseable {

  /** What the loop does with one batch; it must tolerate seeing a batch again. */
  @FunctionalInterface
  public interface BatchHandler<K, V> {
    void handle(ConsumerRecords<K, V> records) throws Exception;
  }

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLoop.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  private final String name;
  private final KafkaConsumer<K, V> consumer;
  private final BatchHandler<K, V> handler;
  private final List<String> topics;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean polled = new AtomicBoolean(false);
  private final Thread thread;

  /**
   * @param config consumer settings (bootstrap servers, group id, ...); offsets are committed by
   *     the loop and reads are read_committed
   */
  @SafeVarargs
  public ConsumerLoop(
      String name,
      Map<String, Object> config,
      BatchHandler<K, V> handler,
      Topic<K, ? extends V>... topics) {
    this.name = name;
    this.handler = handler;
    this.topics = java.util.Arrays.stream(topics).map(Topic::name).toList();
    Map<String, Object> props = new HashMap<>(config);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, name);
    @SuppressWarnings("unchecked")
    var valueDeserializer =
        (org.apache.kafka.common.serialization.Deserializer<V>)
            topics[0].valueSerde().deserializer();
    this.consumer =
        new KafkaConsumer<>(props, topics[0].keySerde().deserializer(), valueDeserializer);
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  public ConsumerLoop<K, V> start() {
    consumer.subscribe(topics);
    thread.start();
    return this;
  }

  /** True once the loop has completed a poll: it is connected and consuming. */
  public boolean consuming() {
    return polled.get() && thread.isAlive();
  }

  private void run() {
    Duration backoff = Duration.ofMillis(100);
    try {
      while (running.get()) {
        ConsumerRecords<K, V> records;
        try {
          records = consumer.poll(POLL);
        } catch (RecordDeserializationException e) {
          LOG.error(
              "{}: skipping undecodable record {}-{}@{}: {}",
              name,
              e.topicPartition().topic(),
              e.topicPartition().partition(),
              e.offset(),
              e.getMessage());
          consumer.seek(e.topicPartition(), e.offset() + 1);
          continue;
        }
        polled.set(true);
        if (records.isEmpty()) {
          continue;
        }
        try {
          handler.handle(records);
          consumer.commitSync();
          backoff = Duration.ofMillis(100);
        } catch (WakeupException e) {
          throw e;
        } catch (Exception e) {
          LOG.warn("{}: batch failed, re-reading it in {} ms", name, backoff.toMillis(), e);
          rewind(records);
          sleep(backoff);
          backoff =
              backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                  ? MAX_BACKOFF
                  : backoff.multipliedBy(2);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void rewind(ConsumerRecords<K, V> records) {
    for (TopicPartition partition : records.partitions()) {
      long first = records.records(partition).get(0).offset();
      consumer.seek(partition, new OffsetAndMetadata(first).offset());
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
