package dev.lineup.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What a run did in each half second: activities the sequencer accepted, releases the devices saw,
 * and activities that ended. A run's average hides its shape; on a burst workload the shape (a
 * stretch of intake, then a stretch of hand-offs) is what explains the average (--timeline).
 */
final class Timeline {

  private static final long BUCKET_NANOS = 500_000_000L;

  /** Two minutes of buckets; anything later counts in the last one. */
  private static final int BUCKETS = 240;

  enum Series {
    ACCEPTED,
    RELEASED,
    ENDED
  }

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS * Series.values().length);
  private volatile long start = System.nanoTime();

  /** Counts from here on are timed from {@code startNanos}, the first request written. */
  void begin(long startNanos) {
    start = startNanos;
  }

  void count(Series series, long nowNanos) {
    int bucket = (int) Math.min(BUCKETS - 1, Math.max(0, (nowNanos - start) / BUCKET_NANOS));
    counts.incrementAndGet(bucket * Series.values().length + series.ordinal());
  }

  long get(int bucket, Series series) {
    return counts.get(bucket * Series.values().length + series.ordinal());
  }

  /** One line per half second up to the last that counted anything. */
  String render() {
    int last = -1;
    for (int b = 0; b < BUCKETS; b++) {
      for (Series s : Series.values()) {
        if (get(b, s) > 0) {
          last = b;
        }
      }
    }
    StringBuilder out = new StringBuilder("timeline (per half second): accepted released ended\n");
    for (int b = 0; b <= last; b++) {
      out.append(
          String.format(
              "  %5.1f s %8d %8d %8d%n",
              (b + 1) * BUCKET_NANOS / 1e9,
              get(b, Series.ACCEPTED),
              get(b, Series.RELEASED),
              get(b, Series.ENDED)));
    }
    return out.toString();
  }
}
