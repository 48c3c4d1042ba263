package dev.lineup.embedded;

import dev.lineup.schemas.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a topic the way a test checks what a service wrote: from the beginning of every partition,
 * read_committed (an aborted transaction's records are never seen), with no consumer group (so
 * nothing is committed and no group is left behind). Two ways:
 *
 * <ul>
 *   <li>{@link #await}: until records matching a predicate have arrived, within a deadline, and
 *       then a short while longer for whatever came with them; {@link AssertionError} if none did.
 *   <li>{@link #readToEnd}: everything up to the end offsets as they are when it starts.
 * </ul>
 */
public final class TopicReader {

  /** How long {@link #await} waits for a first match unless told. */
  public static final Duration DEADLINE = Duration.ofSeconds(30);

  /** How long {@link #await} goes on reading after its first match, for what came with it. */
  public static final Duration AFTER_FIRST = Duration.ofMillis(500);

  private static final Duration POLL = Duration.ofMillis(200);

  private final String bootstrapServers;

  public TopicReader(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  /** Every record of {@code topic} that matches, once one has (within {@link #DEADLINE}). */
  public List<ConsumerRecord<byte[], byte[]>> await(
      String topic, Predicate<ConsumerRecord<byte[], byte[]>> match) {
    return await(topic, match, DEADLINE);
  }

  /** Every record of {@code topic} that matches, once one has (within {@code deadline}). */
  public List<ConsumerRecord<byte[], byte[]>> await(
      String topic, Predicate<ConsumerRecord<byte[], byte[]>> match, Duration deadline) {
    return await(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer(), match, deadline);
  }

  /** As {@link #await(String, Predicate)}, decoded in the topic's own encoding. */
  public <K, V> List<ConsumerRecord<K, V>> await(
      Topic<K, V> topic, Predicate<ConsumerRecord<K, V>> match) {
    return await(
        topic.name(),
        topic.keySerde().deserializer(),
        topic.valueSerde().deserializer(),
        match,
        DEADLINE);
  }

  private <K, V> List<ConsumerRecord<K, V>> await(
      String topic,
      Deserializer<K> keys,
      Deserializer<V> values,
      Predicate<ConsumerRecord<K, V>> match,
      Duration deadline) {
    List<ConsumerRecord<K, V>> found = new ArrayList<>();
    long read = 0;
    try (KafkaConsumer<K, V> consumer = consumer(keys, values)) {
      List<TopicPartition> partitions = fromTheBeginning(consumer, topic);
      long until = System.nanoTime() + deadline.toNanos();
      while (found.isEmpty() && System.nanoTime() < until) {
        for (ConsumerRecord<K, V> r : consumer.poll(POLL)) {
          read++;
          if (match.test(r)) {
            found.add(r);
          }
        }
      }
      if (found.isEmpty()) {
        throw new AssertionError(
            "no record of "
                + topic
                + " ("
                + partitions.size()
                + " partitions) matched within "
                + deadline
                + "; "
                + read
                + " read");
      }
      long more = System.nanoTime() + AFTER_FIRST.toNanos();
      while (System.nanoTime() < more) {
        for (ConsumerRecord<K, V> r : consumer.poll(POLL)) {
          if (match.test(r)) {
            found.add(r);
          }
        }
      }
    }
    return found;
  }

  /** Every record of {@code topic} up to its end offsets now, undecoded. */
  public List<ConsumerRecord<byte[], byte[]>> readToEnd(String topic) {
    return readToEnd(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Every record of {@code topic} up to its end offsets now, in the topic's own encoding. */
  public <K, V> List<ConsumerRecord<K, V>> readToEnd(Topic<K, V> topic) {
    return readToEnd(
        topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
  }

  private <K, V> List<ConsumerRecord<K, V>> readToEnd(
      String topic, Deserializer<K> keys, Deserializer<V> values) {
    List<ConsumerRecord<K, V>> seen = new ArrayList<>();
    try (KafkaConsumer<K, V> consumer = consumer(keys, values)) {
      List<TopicPartition> partitions = fromTheBeginning(consumer, topic);
      // read_committed: the end is the last stable offset, so an open transaction cannot hold
      // this up; the deadline is for a broker that stops answering.
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > until) {
          throw new AssertionError(
              "could not read " + topic + " to " + end + " within 60 s; " + seen.size() + " read");
        }
        consumer.poll(POLL).forEach(seen::add);
      }
    }
    return seen;
  }

  /** Matches records whose key is {@code key} in UTF-8. */
  public static Predicate<ConsumerRecord<byte[], byte[]>> keyed(String key) {
    byte[] wanted = key.getBytes(StandardCharsets.UTF_8);
    return r -> r.key() != null && java.util.Arrays.equals(r.key(), wanted);
  }

  private static List<TopicPartition> fromTheBeginning(KafkaConsumer<?, ?> consumer, String topic) {
    List<TopicPartition> partitions =
        consumer.partitionsFor(topic).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return partitions;
  }

  private <K, V> KafkaConsumer<K, V> consumer(Deserializer<K> keys, Deserializer<V> values) {
    return new KafkaConsumer<>(
        Map.<String, Object>of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            5000),
        keys,
        values);
  }
}
