package dev.lineup.intake.ops;

import dev.lineup.service.kafka.KafkaConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a bounded stretch of one topic for the ops page, with a consumer that lives for one
 * request: it is assigned partitions and seeks (it never joins a group, so it moves no committed
 * offset and starts no rebalance), reads {@code read_committed} up to each partition's end as it
 * was when the read began, and stops at a deadline whatever it has read by then.
 */
final class TopicWindow implements AutoCloseable {

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final Duration deadline;

  TopicWindow(KafkaConnection kafka, String topic, Duration deadline) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "intake-ops-" + UUID.randomUUID());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // Every partition read is sought first; a seek past what retention kept starts at the oldest.
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // A page shows a few hundred records at most; a large fetch would only cost memory.
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1024 * 1024);
    config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 4 * 1024 * 1024);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) deadline.toMillis());
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) deadline.toMillis());
    this.consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.topic = topic;
    this.deadline = deadline;
  }

  /** The topic's partitions, assigned to this window's consumer. Call first. */
  List<TopicPartition> partitions() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (PartitionInfo info : consumer.partitionsFor(topic, deadline)) {
      partitions.add(new TopicPartition(topic, info.partition()));
    }
    // Assigned (and paused until read) before their offsets are asked: a read_committed consumer
    // otherwise warns for each partition that it cannot note the stable offset of one it lacks.
    consumer.assign(partitions);
    consumer.pause(partitions);
    return partitions;
  }

  /** The first offset of each partition still held. */
  Map<TopicPartition, Long> beginnings(List<TopicPartition> partitions) {
    return consumer.beginningOffsets(partitions, deadline);
  }

  /** Each partition's end, for {@code read_committed}: past the last committed record. */
  Map<TopicPartition, Long> ends(List<TopicPartition> partitions) {
    return consumer.endOffsets(partitions, deadline);
  }

  /** What was read, and where each partition's next read starts. */
  record Read(List<ConsumerRecord<byte[], byte[]>> records, Map<TopicPartition, Long> next) {}

  /**
   * Reads each partition from {@code from} up to {@code until} (at most), stopping early once
   * {@code max} records are read or the deadline has passed.
   */
  Read read(Map<TopicPartition, Long> from, Map<TopicPartition, Long> until, int max) {
    Map<TopicPartition, Long> next = new HashMap<>(from);
    List<TopicPartition> open = new ArrayList<>();
    for (var entry : from.entrySet()) {
      if (entry.getValue() < until.getOrDefault(entry.getKey(), 0L)) {
        open.add(entry.getKey());
      }
    }
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    if (open.isEmpty()) {
      return new Read(records, next);
    }
    // Every assigned partition needs a position, the paused ones too, or each poll looks one up.
    for (var start : from.entrySet()) {
      consumer.seek(start.getKey(), start.getValue());
    }
    consumer.resume(open);
    Instant stop = Instant.now().plus(deadline);
    while (!open.isEmpty() && records.size() < max && Instant.now().isBefore(stop)) {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        long end = until.get(partition);
        if (record.offset() < end && records.size() < max) {
          records.add(record);
          next.put(partition, record.offset() + 1);
        }
      }
      // Transaction markers and aborted records take offsets no record is returned for: the
      // position, not the last record, says whether a partition is read to its end.
      for (var it = open.iterator(); it.hasNext(); ) {
        TopicPartition partition = it.next();
        long position = Math.min(consumer.position(partition, deadline), until.get(partition));
        if (records.size() < max) {
          next.put(partition, Math.max(next.get(partition), position));
        }
        if (position >= until.get(partition)) {
          // Paused, not unassigned: a fetch still under way for it is then dropped quietly.
          consumer.pause(List.of(partition));
          it.remove();
        }
      }
    }
    return new Read(records, next);
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
  }
}
