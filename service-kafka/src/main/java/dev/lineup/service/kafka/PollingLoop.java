package dev.lineup.service.kafka;

import dev.lineup.service.health.Readiness;
import dev.lineup.service.metrics.Instrumented;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread both consumer loops share: poll, hand the batch to {@link #process}, and on a failure
 * (only transient ones reach here, rule 14) read the same batch again after a capped backoff,
 * skipping nothing. {@link #ready()} is false from the first failure until a batch passes or a poll
 * finds nothing left to retry, so {@code /health} answers 503 meanwhile; the outage is logged once
 * when it starts and once when it ends. What a batch does, and how its offsets commit, is the
 * subclass's: {@link ConsumerLoop} (at least once, for consumers that write to a database) and
 * {@link TransactionalLoop} (exactly once, consume-transform-produce).
 */
public abstract sealed class PollingLoop implements Readiness, Instrumented, AutoCloseable
    permits ConsumerLoop, TransactionalLoop {

  private static final Logger LOG = LoggerFactory.getLogger(PollingLoop.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration CLOSE = Duration.ofSeconds(5);
  private static final Duration PAUSED_ENDS_TIMEOUT = Duration.ofSeconds(2);

  private final String name;
  private final List<String> topics;

  /** Raw bytes: each loop decodes records itself, so one that does not decode is its to refuse. */
  protected final KafkaConsumer<byte[], byte[]> consumer;

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean polled = new AtomicBoolean(false);
  private final AtomicReference<String> stalledBy = new AtomicReference<>();
  private final Thread thread;

  /** Wakes a backoff early when the loop is closed. */
  private final CountDownLatch closing = new CountDownLatch(1);

  /** The partitions of a failed batch, rewound and waiting to be read again. */
  private final Set<TopicPartition> retrying = new HashSet<>();

  private Instant stalledSince;

  /** Where the records this loop refuses go. */
  protected final String deadLetterTopic;

  private final AtomicLong deadLettered = new AtomicLong();

  /**
   * Records this loop has not processed yet in its partitions, fetched ones included, as of its
   * last poll, processed batch or rewind (measured on the loop thread, read by the scrape).
   */
  private final AtomicLong lagRecords = new AtomicLong();

  /**
   * Per partition (loop thread only): the write time of the newest record processed there, or the
   * last moment the partition was caught up if later.
   */
  private final Map<TopicPartition, Long> upTo = new HashMap<>();

  /** The oldest {@link #upTo} among the partitions that lag, or 0 while none does. */
  private final AtomicLong laggingSinceMillis = new AtomicLong();

  /** The ends of its paused partitions, as last asked, and when ({@link #pausedEnds}). */
  private Map<TopicPartition, Long> pausedEndsRead = Map.of();

  private long pausedEndsReadAt;
  private boolean pausedEndsFailed;

  /** While it answers true, the loop reads nothing more ({@link #holdBackWhile}). */
  private volatile BooleanSupplier holdBack = () -> false;

  /** The Kafka clients' meters, closed with the loop. */
  private final List<KafkaClientMetrics> clientMetrics = new ArrayList<>();

  /**
   * @param config consumer settings (bootstrap servers, group id, ...); offsets are committed by
   *     the loop, never automatically, and reads are read_committed
   */
  protected PollingLoop(
      String name, Map<String, Object> config, List<String> topics, String deadLetterTopic) {
    this.name = name;
    this.deadLetterTopic = deadLetterTopic;
    this.topics = List.copyOf(topics);
    Map<String, Object> props = new HashMap<>(config);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, name);
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, name);
    this.thread.setDaemon(true);
  }

  /**
   * Does what the batch asks and commits its offsets. Throws only transient failures: a record
   * refused for reasons of its own is dead-lettered, not thrown, or it would be read again forever.
   */
  protected abstract void process(ConsumerRecords<byte[], byte[]> records) throws Exception;

  /** After {@link #process} threw, before the batch is read again (an open transaction aborts). */
  protected void rollBack() {}

  /** After a poll that returned nothing, on the loop's thread. */
  protected void afterEmptyPoll() {}

  /**
   * Inside a poll, before {@code partitions} go to another member, on the loop's thread: every
   * batch read from them has been processed or rewound.
   */
  protected void beforeRevoked(Collection<TopicPartition> partitions) {}

  /** As the loop ends, before its consumer closes, on the loop's thread. */
  protected void beforeClose() {}

  /** Closes what the subclass opened, on the loop's thread as it ends. */
  protected abstract void closeClients(Duration timeout);

  /**
   * How many records this loop has sent to its dead-letter topic (and, if transactional,
   * committed).
   */
  public final long deadLettered() {
    return deadLettered.get();
  }

  /** {@code count} more records are in the dead-letter topic for good. */
  protected final void countDeadLetters(long count) {
    deadLettered.addAndGet(count);
  }

  /**
   * {@code lineup_consumer_stalled{consumer}} (1 while a failed batch or poll is retried, the same
   * moments {@code /health} is down for this loop, else 0), {@code lineup_dead_letters_total{topic,
   * consumer}}, and the Kafka clients' own metrics (the subclass's producer's through {@link
   * #instrumentProducer}).
   */
  @Override
  public final void instrument(MeterRegistry registry) {
    Gauge.builder("lineup.consumer.stalled", this, loop -> loop.stalled() ? 1 : 0)
        .description(
            "1 while this consumer loop retries a batch it could not process, or died, else 0")
        .tag("consumer", name)
        .register(registry);
    FunctionCounter.builder("lineup.dead.letters", deadLettered, AtomicLong::get)
        .description("Records a consumer refused and sent to its dead-letter topic")
        .tag("topic", deadLetterTopic)
        .tag("consumer", name)
        .register(registry);
    Gauge.builder("lineup.consumer.held.back", this, loop -> loop.holdBack.getAsBoolean() ? 1 : 0)
        .description(
            "1 while this consumer loop holds back, reading nothing more, because what it writes is"
                + " read too slowly downstream, else 0")
        .tag("consumer", name)
        .register(registry);
    Gauge.builder("lineup.consumer.lag.records", lagRecords, AtomicLong::get)
        .description("Records in this consumer's partitions that it has not read yet")
        .tag("consumer", name)
        .register(registry);
    Gauge.builder("lineup.consumer.lag", this, PollingLoop::lagSeconds)
        .description(
            "While records wait: the age of the newest record this consumer has processed; 0 when"
                + " it is caught up")
        .tag("consumer", name)
        .baseUnit("seconds")
        .register(registry);
    bindClient(new KafkaClientMetrics(consumer), registry);
    instrumentProducer(registry);
  }

  private double lagSeconds() {
    long since = laggingSinceMillis.get();
    return since == 0 ? 0 : Math.max(0, System.currentTimeMillis() - since) / 1000.0;
  }

  /** Binds the subclass's producer's metrics ({@link #bindClient(Producer, MeterRegistry)}). */
  protected abstract void instrumentProducer(MeterRegistry registry);

  protected final void bindClient(Producer<?, ?> producer, MeterRegistry registry) {
    bindClient(new KafkaClientMetrics(producer), registry);
  }

  private void bindClient(KafkaClientMetrics metrics, MeterRegistry registry) {
    synchronized (clientMetrics) {
      clientMetrics.add(metrics);
    }
    metrics.bindTo(registry);
  }

  /**
   * Push-back: while {@code holdBack} answers true, the loop reads nothing more from its next poll
   * on (one under way may still return what arrives while it waits). Its partitions are paused, not
   * given up: it stays in its group, and records wait on its topic (or, fetched but not yet handed
   * out, in the client) until it goes on ({@link DownstreamLag}). A batch being retried still goes
   * through. The lag gauges keep counting what waits. Set before the loop starts.
   */
  public final void holdBackWhile(BooleanSupplier holdBack) {
    this.holdBack = holdBack;
  }

  /** Subscribes and starts the thread. */
  protected final void begin() {
    consumer.subscribe(
        topics,
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            beforeRevoked(partitions);
          }

          /** Called inside a poll, before it fetches: a loop holding back fetches nothing new. */
          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (holdBack.getAsBoolean()) {
              consumer.pause(partitions);
            }
          }
        });
    thread.start();
  }

  @Override
  public final String name() {
    return name;
  }

  /** Connected, consuming, and not held up by an unreachable broker or database. */
  @Override
  public final boolean ready() {
    return running() && stalledBy.get() == null;
  }

  /** Has polled and not died: consuming, or retrying a batch until it passes. */
  public final boolean running() {
    return polled.get() && thread.isAlive();
  }

  /** Retrying a batch or poll, or stopped by a failure while it should run. */
  private boolean stalled() {
    return stalledBy.get() != null || (polled.get() && running.get() && !thread.isAlive());
  }

  /** Why the loop is retrying, or null while it is not. */
  public final String stalledBy() {
    return stalledBy.get();
  }

  private void run() {
    Duration backoff = Failures.FIRST_BACKOFF;
    try {
      while (running.get()) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          holdBackOrGoOn();
          records = consumer.poll(POLL);
        } catch (WakeupException e) {
          throw e;
        } catch (RuntimeException e) {
          // The broker away, or a fetch that failed: poll again after a pause, never die.
          stall("poll failed", e);
          sleep(backoff);
          backoff = Failures.nextBackoff(backoff);
          continue;
        }
        polled.set(true);
        if (records.isEmpty()) {
          afterEmptyPoll();
          measureLag();
          // A failed batch is over only when it passes, or when its partitions went elsewhere.
          retrying.retainAll(consumer.assignment());
          if (retrying.isEmpty()) {
            recovered();
          }
          continue;
        }
        try {
          process(records);
          processedUpTo(records);
          retrying.clear();
          measureLag();
          recovered();
          backoff = Failures.FIRST_BACKOFF;
        } catch (WakeupException e) {
          throw e;
        } catch (Exception e) {
          // Only transient failures get here: the broker or the database is away. The batch is
          // read again, whole, once it is back.
          stall("batch failed", e);
          rollBack();
          rewind(records);
          measureLag();
          sleep(backoff);
          backoff = Failures.nextBackoff(backoff);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (RuntimeException | Error e) {
      LOG.error("{}: stopped by an unexpected failure; its health check stays down", name, e);
      throw e;
    } finally {
      try {
        beforeClose();
        consumer.close(CLOSE);
      } finally {
        closeClients(CLOSE);
      }
    }
  }

  /**
   * Pauses every assigned partition while the loop holds back (again at each poll: a rebalance may
   * have brought new ones), and resumes them once it does not.
   */
  private void holdBackOrGoOn() {
    if (!holdBack.getAsBoolean()) {
      if (!consumer.paused().isEmpty()) {
        consumer.resume(consumer.paused());
      }
      return;
    }
    // A batch being retried was read already: it goes through, or the loop would stay stalled
    // (its health down) for as long as it holds back.
    Set<TopicPartition> hold = new HashSet<>(consumer.assignment());
    hold.removeAll(retrying);
    consumer.pause(hold);
    Set<TopicPartition> retried = new HashSet<>(consumer.paused());
    retried.retainAll(retrying);
    consumer.resume(retried);
  }

  /**
   * The records from each assigned partition's position to its end, from what the consumer already
   * holds (no request to the broker): measured after an empty poll, a processed batch or a rewind,
   * so a fetched batch still being processed or retried counts as waiting. A partition whose end is
   * not known yet counts nothing. A partition with nothing waiting, and no batch being retried, is
   * caught up now.
   */
  private void measureLag() {
    long lag = 0;
    long since = 0;
    long now = System.currentTimeMillis();
    upTo.keySet().retainAll(consumer.assignment());
    Map<TopicPartition, Long> pausedEnds = pausedEnds(now);
    for (TopicPartition partition : consumer.assignment()) {
      Long end = pausedEnds.get(partition);
      long waiting =
          end == null ? consumer.currentLag(partition).orElse(0) : waitingBefore(partition, end);
      lag += waiting;
      if (waiting == 0 && !retrying.contains(partition)) {
        // Caught up: a record arriving after a quiet hour is seconds late, not an hour.
        upTo.put(partition, now);
      } else {
        long reference = upTo.computeIfAbsent(partition, p -> now);
        since = since == 0 ? reference : Math.min(since, reference);
      }
    }
    lagRecords.set(lag);
    laggingSinceMillis.set(since);
  }

  /**
   * The ends of the paused partitions, asked of the broker at most once a second: a paused
   * partition is not fetched, so the client's own idea of its end stops moving while records pile
   * up behind a loop that holds back. Empty while nothing is paused, or if the broker cannot say.
   */
  private Map<TopicPartition, Long> pausedEnds(long now) {
    Set<TopicPartition> paused = consumer.paused();
    if (paused.isEmpty()) {
      pausedEndsRead = Map.of();
      return pausedEndsRead;
    }
    // Newly paused partitions are asked at once, unless the last ask failed: then a second later.
    boolean newlyPaused = !pausedEndsFailed && !pausedEndsRead.keySet().containsAll(paused);
    if (now - pausedEndsReadAt >= 1_000 || newlyPaused) {
      pausedEndsReadAt = now;
      try {
        pausedEndsRead = consumer.endOffsets(paused, PAUSED_ENDS_TIMEOUT);
        pausedEndsFailed = false;
      } catch (RuntimeException e) {
        LOG.debug("{}: the ends of its paused partitions are unknown for now", name, e);
        pausedEndsRead = Map.of();
        pausedEndsFailed = true;
      }
    }
    return pausedEndsRead;
  }

  /** Records from a paused partition's position to {@code end}; the client's guess if unknown. */
  private long waitingBefore(TopicPartition partition, long end) {
    try {
      return Math.max(0, end - consumer.position(partition, PAUSED_ENDS_TIMEOUT));
    } catch (RuntimeException e) {
      return consumer.currentLag(partition).orElse(0);
    }
  }

  private void processedUpTo(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      var batch = records.records(partition);
      long newest = batch.get(batch.size() - 1).timestamp();
      upTo.merge(partition, newest, Math::max);
    }
  }

  /**
   * Says once per outage what holds the loop up; the rest of the outage is quiet. An outage its
   * thrower announced itself ({@link Failures.TransientFailure#announced}) is not said again.
   */
  private void stall(String what, Exception e) {
    stalledBy.set(Failures.describe(e, Failures.MAX_REASON));
    boolean first = stalledSince == null;
    if (first) {
      stalledSince = Instant.now();
    }
    if (first && !(e instanceof Failures.TransientFailure t && t.announced())) {
      LOG.warn(
          "{}: {}, retrying with backoff until it passes (health is down meanwhile): {}",
          name,
          what,
          stalledBy.get());
    } else {
      LOG.debug("{}: {} again", name, what, e);
    }
  }

  private void recovered() {
    if (stalledSince != null) {
      LOG.info(
          "{}: recovered after {} s",
          name,
          Duration.between(stalledSince, Instant.now()).toSeconds());
      stalledSince = null;
    }
    stalledBy.set(null);
  }

  /** Back to the batch's first offsets, which are the last committed ones. */
  private void rewind(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      // After a rebalance the partition may be another member's now; it reads from the last
      // commit anyway.
      if (consumer.assignment().contains(partition)) {
        consumer.seek(partition, records.records(partition).get(0).offset());
        retrying.add(partition);
      }
    }
  }

  /** The backoff, cut short by {@link #close()}; an interrupt stops the loop as close would. */
  private void sleep(Duration duration) {
    try {
      closing.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.set(false);
    }
  }

  /** Stops polling and waits for the thread to close its clients. */
  @Override
  public final void close() {
    running.set(false);
    closing.countDown();
    consumer.wakeup();
    try {
      thread.join(Duration.ofSeconds(10).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (clientMetrics) {
      clientMetrics.forEach(KafkaClientMetrics::close);
    }
  }
}
