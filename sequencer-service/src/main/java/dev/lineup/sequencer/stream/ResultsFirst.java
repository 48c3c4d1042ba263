package dev.lineup.sequencer.stream;

import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Results go ahead of commands. A sequencer task reads {@code lineup.commands} and {@code
 * lineup.results} together and, of the records it holds, takes the one with the lowest timestamp
 * first; under a burst of enqueues a device's result would wait behind every older command, and
 * that host's next release with it. Read as {@link #HEAD_START} older than it is, a result
 * overtakes the commands buffered beside it; each topic is still read in its own order.
 *
 * <p>Nothing else depends on this timestamp: the queue's clock is the wall clock, and what the
 * sequencer writes carries the time of the event it describes. Where the time a result was written
 * matters (the hand-off it starts), {@link #writtenAt} gives it back.
 */
public final class ResultsFirst implements TimestampExtractor {

  /** How far a result may overtake commands written before it. */
  public static final Duration HEAD_START = Duration.ofHours(1);

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    return Math.max(0, record.timestamp() - HEAD_START.toMillis());
  }

  /** When a result was written, from the timestamp {@link #extract} gave its record. */
  static long writtenAt(long extracted) {
    return extracted + HEAD_START.toMillis();
  }
}
