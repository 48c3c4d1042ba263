package dev.lineup.service.kafka;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether to hold back, from how far behind the reader downstream is, and what to tell the
 * operator. The limit is {@code atLeast} records, or what the reader takes in over {@code ofWork}
 * at its recent rate, whichever is more: a reader that takes in 20,000 records a second is not
 * overloaded 1,000 behind, since its own commits lag that much. Past the limit it holds back, until
 * the reader is at half of it again.
 *
 * <p>Under a steady overload a low limit makes holding back routine flow control: on and off every
 * second or so, as the reader catches up and the loop refills it. That is not an operator's event
 * each time, so the log speaks of episodes: one line when the loop first holds back, none while it
 * goes on and off, and one when it has not held back for {@link #QUIET}, with how often and how
 * long it held back meanwhile. The gauge ({@code lineup_consumer_held_back}) shows each hold.
 */
final class HoldBack {

  private static final Logger LOG = LoggerFactory.getLogger(DownstreamLag.class);

  /** How long without holding back ends an episode. */
  static final Duration QUIET = Duration.ofMinutes(1);

  private final String name;
  private final String group;
  private final String topic;
  private final long atLeast;
  private final double ofWorkSeconds;
  private final LongSupplier nanoTime;

  private long lastRead = -1;
  private long lastReadAt;
  private double rate;
  private long limit;
  private long lastLag;

  /** Written by the reader of the lag only; read by the loop it holds back. */
  private volatile boolean holding;

  private boolean inEpisode;
  private long holdingSince;
  private long releasedAt;
  private int holds;
  private long heldNanos;

  HoldBack(
      String name,
      String group,
      String topic,
      long atLeast,
      Duration ofWork,
      LongSupplier nanoTime) {
    this.name = name;
    this.group = group;
    this.topic = topic;
    this.atLeast = atLeast;
    this.ofWorkSeconds = ofWork.toNanos() / 1e9;
    this.nanoTime = nanoTime;
    this.limit = atLeast;
  }

  /**
   * Takes a reading and answers whether to hold back.
   *
   * @param lag records the reader is behind
   * @param read where the reader is, in all: its committed offsets summed, from which its rate
   */
  boolean behind(long lag, long read) {
    long now = nanoTime.getAsLong();
    limit = limit(now, read);
    lastLag = lag;
    if (!holding && lag > limit) {
      holding = true;
      holdingSince = now;
      if (!inEpisode) {
        inEpisode = true;
        holds = 0;
        heldNanos = 0;
        LOG.warn(
            "{}: holding back: {} is {} records behind on {} (more than {}); new work waits where it"
                + " is until it is at {}. Said once until it has not held back for {} s",
            name,
            group,
            lag,
            topic,
            limit,
            limit / 2,
            QUIET.toSeconds());
      }
      holds++;
    } else if (holding && lag <= limit / 2) {
      release(now);
    }
    endEpisodeIfQuiet(now, lag);
    return holding;
  }

  /**
   * The limit now: the reader's rate is a moving average over about a second of readings, and a
   * reading that went backwards (partitions reassigned, offsets reset) counts as none read.
   */
  private long limit(long now, long read) {
    if (lastRead >= 0 && now > lastReadAt) {
      double seconds = (now - lastReadAt) / 1e9;
      double recent = Math.max(0, read - lastRead) / seconds;
      rate += (recent - rate) * Math.min(1, seconds);
    }
    lastRead = read;
    lastReadAt = now;
    return Math.max(atLeast, (long) (rate * ofWorkSeconds));
  }

  /**
   * Whether the lag is worth reading often, as of the last reading: the reader is past half of the
   * limit, where holding back would end, or the loop has held back within {@link #QUIET} (an
   * episode, as the log tells it). Under a lasting overload the loop holds back and goes on again
   * every second or so, and a late reading costs either way: while it holds back the reader may run
   * dry, and once it goes on it admits requests as fast as it can read them, far past the limit,
   * until the next reading. Far below the limit, and with no overload for a while, neither is near.
   */
  boolean near() {
    return inEpisode || lastLag > limit / 2;
  }

  /** Whether to hold back, as of the last reading. */
  boolean holding() {
    return holding;
  }

  /** Records behind past which it holds back, as of the last reading. */
  long limit() {
    return limit;
  }

  /** The lag cannot be read: nothing is held back meanwhile (fail open). */
  void unknown() {
    lastLag = 0;
    if (holding) {
      release(nanoTime.getAsLong());
    }
  }

  private void release(long now) {
    holding = false;
    heldNanos += now - holdingSince;
    releasedAt = now;
  }

  private void endEpisodeIfQuiet(long now, long lag) {
    if (inEpisode && !holding && now - releasedAt >= QUIET.toNanos()) {
      inEpisode = false;
      LOG.info(
          "{}: no longer holding back: {} is {} records behind on {}; held back {} times, {} s in"
              + " all, until {} s ago",
          name,
          group,
          lag,
          topic,
          holds,
          Math.round(heldNanos / 1e9),
          Math.round((now - releasedAt) / 1e9));
    }
  }
}
