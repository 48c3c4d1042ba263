package dev.lineup.service.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Push-back under overload: how far the consumer group that reads what a loop writes is behind, and
 * whether the loop should hold back for it ({@link PollingLoop#holdBackWhile}). On a thread of its
 * own it reads from the broker the group's committed offsets on the topic and the topic's ends
 * ({@code read_committed}); once the group is more than {@code limit} records behind, or more than
 * it takes in over {@code ofWork} at its recent rate, it holds back, until the group is at half of
 * that again ({@link HoldBack}, which also decides what the log says). A loop that holds back
 * leaves its input where it is, so the work waits on the topic it came from and not in front of
 * what reaches the group by other ways.
 *
 * <p>It reads every {@code every} while the group is past half of the limit or the loop has held
 * back within the last minute ({@link HoldBack#near}), and {@link #FAR} times less often otherwise:
 * under a lasting overload the loop holds back and goes on again every second or so, and a reading
 * that comes late either lets the group run dry or lets the loop overshoot, while a group far below
 * the limit, with no overload for a while, is not worth two admin requests every {@code every}.
 *
 * <p>Behind is counted in offsets, so transaction markers count too: one per partition a
 * transaction wrote to, which a limit in thousands does not notice.
 *
 * <p>It fails open: a group with no committed offset on the topic (not started yet) is not behind,
 * and while the lag cannot be read (the broker away, an ACL refusing it) nothing is held back; the
 * latter is said once, when it starts.
 */
public final class DownstreamLag implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DownstreamLag.class);

  /** How many times less often the lag is read while the group is far below the limit. */
  static final int FAR = 4;

  private final String name;
  private final String group;
  private final String topic;
  private final HoldBack decisions;
  private final Admin admin;
  private final Duration timeout;
  private final ScheduledExecutorService reader;
  private final long everyMillis;

  private volatile long behind = -1;
  private boolean unreadable;

  /**
   * @param name who holds back, in its log lines (the loop's name)
   * @param limit records behind past which to hold back, at least; at least 2
   * @param ofWork or what the group takes in over this long at its recent rate, if more (zero:
   *     {@code limit} alone)
   * @param every how often the lag is read near the limit or an overload ({@link #FAR} times less
   *     often otherwise)
   */
  public DownstreamLag(
      String name,
      KafkaConnection connection,
      String group,
      String topic,
      long limit,
      Duration ofWork,
      Duration every) {
    if (limit < 2) {
      throw new IllegalArgumentException(name + ": a hold-back limit needs at least 2 records");
    }
    this.name = name;
    this.group = group;
    this.topic = topic;
    this.decisions = new HoldBack(name, group, topic, limit, ofWork, System::nanoTime);
    this.timeout =
        every.multipliedBy(5).compareTo(Duration.ofSeconds(5)) < 0
            ? Duration.ofSeconds(5)
            : every.multipliedBy(5);
    Map<String, Object> config = connection.clientConfig();
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, name + "-lag-" + UUID.randomUUID());
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    this.admin = Admin.create(config);
    this.reader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, name + "-downstream-lag");
              t.setDaemon(true);
              return t;
            });
    this.everyMillis = Math.max(1, every.toMillis());
    reader.execute(this::readAndReschedule);
  }

  /** Whether the loop should read nothing more for now. */
  public boolean holdsBack() {
    return decisions.holding();
  }

  /** Records the group was behind at the last read, or -1 if that read failed. */
  public long behind() {
    return behind;
  }

  /** Reads the lag, then schedules the next reading: sooner near the limit or an overload. */
  private void readAndReschedule() {
    try {
      read();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
      return;
    }
    long next = decisions.near() ? everyMillis : everyMillis * FAR;
    try {
      reader.schedule(this::readAndReschedule, next, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private void read() throws InterruptedException {
    Reading reading;
    try {
      reading = reading();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      behind = -1;
      decisions.unknown();
      if (!unreadable) {
        unreadable = true;
        LOG.warn(
            "{}: cannot read how far {} is behind on {}, so nothing is held back meanwhile: {}",
            name,
            group,
            topic,
            Failures.describe(e, Failures.MAX_REASON));
      }
      return;
    }
    unreadable = false;
    behind = reading.lag();
    decisions.behind(reading.lag(), reading.committed());
  }

  /** The group's records to go on the topic, and its committed offsets summed. */
  private record Reading(long lag, long committed) {}

  /** Each committed partition's end minus its offset, summed; and the offsets summed. */
  private Reading reading() throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    admin
        .listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .forEach(
            (partition, offset) -> {
              if (partition.topic().equals(topic) && offset != null) {
                committed.put(partition, offset);
              }
            });
    if (committed.isEmpty()) {
      return new Reading(0, 0);
    }
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    committed.keySet().forEach(p -> latest.put(p, OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin
            .listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
            .all()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    long lag = 0;
    long read = 0;
    for (var entry : committed.entrySet()) {
      var end = ends.get(entry.getKey());
      read += entry.getValue().offset();
      if (end != null) {
        lag += Math.max(0, end.offset() - entry.getValue().offset());
      }
    }
    return new Reading(lag, read);
  }

  @Override
  public void close() {
    reader.shutdownNow();
    try {
      reader.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    admin.close(Duration.ofSeconds(5));
  }
}
