package dev.lineup.service.kafka;

import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer thread that applies the contract's failure policy (rule 14) to a handler of record
 * batches, so no record can stop it:
 *
 * <ul>
 *   <li>each record is decoded here, one at a time; a record that does not decode (any exception,
 *       not only Kafka's {@code SerializationException}) goes to the dead-letter topic;
 *   <li>the rest go to the handler as one batch. If the handler fails <em>deterministically</em>
 *       ({@link Failures}), each record is handled alone to find the ones that fail, and those go
 *       to the dead-letter topic, with the reason, source topic, partition and offset in headers;
 *   <li>a dead letter its topic refuses for good (the record was near the size limit, and the
 *       headers push it over) goes without key and value, {@link #DROPPED_HEADER} saying why;
 *   <li>a <em>transient</em> failure (broker or database unreachable) re-reads the batch after a
 *       capped backoff, skipping nothing; {@link #ready()} is false until a batch succeeds again,
 *       so {@code /health} answers 503 meanwhile.
 * </ul>
 *
 * Offsets are committed after the handler returned and the dead letters were acknowledged, so a
 * crash re-delivers rather than loses; handlers must tolerate a batch twice, and a crash between
 * the two may write a dead letter twice. They are committed at most once per {@link
 * #COMMIT_SPACING} (a quiet loop commits what it owes at its next empty poll), and before its
 * partitions go to another member or the loop closes: a commit per batch was a request and a record
 * per partition on {@code __consumer_offsets} for every few records under a steady trickle
 * (docs/BENCHMARKS.md, finding 61). A crash so re-delivers up to that much more.
 */
public final class ConsumerLoop<K, V> extends PollingLoop {

  /** What the loop does with decoded records; it must tolerate seeing them again. */
  @FunctionalInterface
  public interface BatchHandler<K, V> {
    void handle(List<ConsumerRecord<K, V>> records) throws Exception;
  }

  /** The dead-letter header that names the consumer that refused a record. */
  public static final String CONSUMER_HEADER = DeadLetterHeaders.CONSUMER;

  /**
   * The dead-letter header saying the record's key and value were left out, and why: the dead
   * letter did not fit its topic.
   */
  public static final String DROPPED_HEADER = DeadLetterHeaders.DROPPED;

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLoop.class);
  private static final Duration DEAD_LETTER_ACK = Duration.ofSeconds(30);

  /** The least time between two commits of the loop's offsets while it works. */
  static final Duration COMMIT_SPACING = Duration.ofSeconds(1);

  /** How long a commit may wait for the broker before it is given up, and owed still. */
  private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(5);

  private final KafkaProducer<byte[], byte[]> deadLetters;
  private final BatchHandler<K, V> handler;
  private final Map<String, Topic<K, ? extends V>> topics = new HashMap<>();

  /**
   * Per partition, the position after the last batch processed there and not committed yet (loop
   * thread only). Only batches the handler took, with their dead letters acknowledged, get here:
   * one it failed, and the loop then died of, is read again by whoever comes next.
   */
  private final Map<TopicPartition, OffsetAndMetadata> owed = new HashMap<>();

  /** When the offsets were last committed, in {@link System#nanoTime} (loop thread only). */
  private long committedAt = System.nanoTime();

  /**
   * @param config consumer settings (bootstrap servers, group id, ...); offsets are committed by
   *     the loop and reads are read_committed
   * @param deadLetterTopic where records this consumer refuses go
   */
  @SafeVarargs
  public ConsumerLoop(
      String name,
      Map<String, Object> config,
      Topic<byte[], byte[]> deadLetterTopic,
      BatchHandler<K, V> handler,
      Topic<K, ? extends V>... topics) {
    this(name, config, ProducerSettings.DEFAULTS, deadLetterTopic, handler, topics);
  }

  /**
   * @param producerSettings the service's {@code lineup.kafka.producer} settings, for the
   *     dead-letter producer
   */
  @SafeVarargs
  public ConsumerLoop(
      String name,
      Map<String, Object> config,
      ProducerSettings producerSettings,
      Topic<byte[], byte[]> deadLetterTopic,
      BatchHandler<K, V> handler,
      Topic<K, ? extends V>... topics) {
    super(name, config, Arrays.stream(topics).map(Topic::name).toList(), deadLetterTopic.name());
    this.handler = handler;
    Arrays.stream(topics).forEach(t -> this.topics.put(t.name(), t));
    this.deadLetters =
        new KafkaProducer<>(
            producerSettings.deadLetters(
                KafkaConnection.of(config), name + "-dlq", DEAD_LETTER_ACK),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  public ConsumerLoop<K, V> start() {
    begin();
    return this;
  }

  /** The dead-letter producer's metrics. */
  @Override
  protected void instrumentProducer(MeterRegistry registry) {
    bindClient(deadLetters, registry);
  }

  /** A record as polled, and as decoded (null if it could not be). */
  private record Polled<K, V>(ConsumerRecord<byte[], byte[]> raw, ConsumerRecord<K, V> decoded) {}

  /** A record refused, and why. */
  private record Refused(ConsumerRecord<byte[], byte[]> raw, String reason) {}

  @Override
  protected void process(ConsumerRecords<byte[], byte[]> records) throws Exception {
    List<Refused> refused = new ArrayList<>();
    List<Polled<K, V>> batch = decode(records, refused);
    handle(batch, refused);
    sendDeadLetters(refused);
    // Past the batch, and past the transaction markers fetched with it.
    for (TopicPartition partition : records.partitions()) {
      owed.put(partition, new OffsetAndMetadata(consumer.position(partition)));
    }
    if (System.nanoTime() - committedAt >= COMMIT_SPACING.toNanos()) {
      commitOwed();
    }
  }

  private void commitOwed() {
    if (!owed.isEmpty()) {
      consumer.commitSync(Map.copyOf(owed), COMMIT_TIMEOUT);
      owed.clear();
      committedAt = System.nanoTime();
    }
  }

  @Override
  protected void afterEmptyPoll() {
    if (!owed.isEmpty() && System.nanoTime() - committedAt >= COMMIT_SPACING.toNanos()) {
      commitQuietly("after a quiet poll");
    }
  }

  @Override
  protected void beforeRevoked(Collection<TopicPartition> partitions) {
    commitQuietly("before its partitions went elsewhere");
    // Not committed: their next owner reads them again.
    owed.keySet().removeAll(partitions);
  }

  @Override
  protected void beforeClose() {
    commitQuietly("as it closed");
  }

  /**
   * A commit that may fail (the broker away): what it owed is read again, as after a crash. A
   * wakeup left from {@link #close} while a batch was handled fails it once; it is tried again.
   */
  private void commitQuietly(String when) {
    try {
      try {
        commitOwed();
      } catch (WakeupException e) {
        commitOwed();
      }
    } catch (RuntimeException e) {
      LOG.debug("{}: offsets not committed {}; they will be read again", name(), when, e);
    }
  }

  @Override
  protected void closeClients(Duration timeout) {
    deadLetters.close(timeout);
  }

  private List<Polled<K, V>> decode(
      ConsumerRecords<byte[], byte[]> records, List<Refused> refused) {
    List<Polled<K, V>> batch = new ArrayList<>(records.count());
    for (ConsumerRecord<byte[], byte[]> raw : records) {
      Topic<K, ? extends V> topic = topics.get(raw.topic());
      try {
        K key = topic.keySerde().deserializer().deserialize(raw.topic(), raw.key());
        V value = topic.valueSerde().deserializer().deserialize(raw.topic(), raw.value());
        batch.add(
            new Polled<>(
                raw,
                new ConsumerRecord<>(
                    raw.topic(),
                    raw.partition(),
                    raw.offset(),
                    raw.timestamp(),
                    raw.timestampType(),
                    raw.serializedKeySize(),
                    raw.serializedValueSize(),
                    key,
                    value,
                    raw.headers(),
                    raw.leaderEpoch())));
      } catch (RuntimeException e) {
        refused.add(new Refused(raw, "undecodable: " + Failures.describe(e, Failures.MAX_REASON)));
      }
    }
    return batch;
  }

  /**
   * Hands the batch over; on a deterministic failure, each record alone, so only the records that
   * fail are refused. Throws only transient failures.
   */
  private void handle(List<Polled<K, V>> batch, List<Refused> refused) throws Exception {
    if (batch.isEmpty()) {
      return;
    }
    try {
      invoke(batch.stream().map(Polled::decoded).toList());
      return;
    } catch (Exception e) {
      if (Failures.isTransient(e)) {
        throw e;
      }
      if (batch.size() == 1) {
        refused.add(new Refused(batch.get(0).raw(), Failures.describe(e, Failures.MAX_REASON)));
        return;
      }
    }
    for (Polled<K, V> one : batch) {
      try {
        invoke(List.of(one.decoded()));
      } catch (Exception e) {
        if (Failures.isTransient(e)) {
          throw e;
        }
        refused.add(new Refused(one.raw(), Failures.describe(e, Failures.MAX_REASON)));
      }
    }
  }

  /**
   * The handler, with an {@link AssertionError} from a library under {@code -ea} taken as the
   * failure it reports rather than left to kill the thread (pgjdbc asserted that a connection
   * dropped mid-batch could not happen: pgjdbc#1458, fixed by pgjdbc#4187).
   */
  private void invoke(List<ConsumerRecord<K, V>> records) throws Exception {
    try {
      handler.handle(records);
    } catch (AssertionError e) {
      throw new IllegalStateException("the handler failed an assertion: " + e.getMessage(), e);
    }
  }

  private void sendDeadLetters(List<Refused> refused) throws Exception {
    List<ProducerRecord<byte[], byte[]>> letters = new ArrayList<>(refused.size());
    List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>(refused.size());
    for (Refused r : refused) {
      var dead =
          DeadLetterHeaders.deadLetter(
              deadLetterTopic,
              r.raw().key(),
              r.raw().value(),
              r.reason(),
              r.raw().topic(),
              r.raw().partition(),
              r.raw().offset(),
              name());
      letters.add(dead);
      sent.add(deadLetters.send(dead));
    }
    for (int i = 0; i < sent.size(); i++) {
      try {
        sent.get(i).get(DEAD_LETTER_ACK.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (Failures.isTransient(e.getCause())) {
          throw e;
        }
        sendWithoutBody(letters.get(i), e.getCause());
      }
    }
    for (Refused r : refused) {
      countDeadLetters(1);
      LOG.warn(
          "{}: {}-{}@{} sent to {}: {}",
          name(),
          r.raw().topic(),
          r.raw().partition(),
          r.raw().offset(),
          deadLetterTopic,
          r.reason());
    }
  }

  /**
   * A dead letter the topic refuses for good: a record near the size limit of its own topic no
   * longer fits with the headers added. Retrying it would hold the loop up forever (rule 14), so it
   * goes again without its key and value; the headers still say where the record is.
   */
  private void sendWithoutBody(ProducerRecord<byte[], byte[]> letter, Throwable refusal)
      throws Exception {
    var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    letter.headers().forEach(headers::add);
    headers.add(
        DROPPED_HEADER,
        Failures.describe(refusal, Failures.MAX_REASON)
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    deadLetters
        .send(
            new ProducerRecord<byte[], byte[]>(
                deadLetterTopic, (Integer) null, (byte[]) null, (byte[]) null, headers))
        .get(DEAD_LETTER_ACK.toMillis(), TimeUnit.MILLISECONDS);
  }
}
