package dev.lineup.service.kafka;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * A consumer off the hand-off path that lets records gather at the broker: its fetch is answered
 * once {@code gather} has passed or about a batch's worth is there, whichever is first. A consumer
 * with Kafka's defaults ({@code fetch.min.bytes=1}) is answered as soon as one record arrives, so
 * under a steady trickle it polls, and writes what it read, for every few records: each poll a
 * fetch, and a transaction or a database round trip. Gathering trades that fixed cost per poll for
 * up to {@code gather} of delay.
 */
public final class FetchGathering {

  /**
   * What the broker holds back for, at most, whatever {@code gather} says: well under what it
   * counts of one partition in a fetch ({@code max.partition.fetch.bytes}, 1 MiB), so a backlog on
   * a single partition is never held back waiting for more than one fetch can give.
   */
  private static final long MAX_MIN_BYTES = 512 * 1024;

  /** What {@code fetch.max.wait.ms} is capped at: the consumer's own request timeout is 30 s. */
  private static final long MAX_WAIT_MS = 5_000;

  private FetchGathering() {}

  /**
   * Sets {@code max.poll.records} to {@code batch} and, unless {@code gather} is zero, the fetch to
   * wait for {@code batch} records of about {@code recordBytes} each or for {@code gather}.
   *
   * @return {@code config}, for chaining
   */
  public static Map<String, Object> gather(
      Map<String, Object> config, int batch, int recordBytes, Duration gather) {
    if (gather.isNegative()) {
      throw new IllegalArgumentException("a gather time cannot be negative: " + gather);
    }
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, batch);
    if (gather.toMillis() > 0) {
      config.put(
          ConsumerConfig.FETCH_MIN_BYTES_CONFIG,
          (int) Math.min((long) batch * recordBytes, MAX_MIN_BYTES));
      config.put(
          ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) Math.min(gather.toMillis(), MAX_WAIT_MS));
    }
    return config;
  }
}
