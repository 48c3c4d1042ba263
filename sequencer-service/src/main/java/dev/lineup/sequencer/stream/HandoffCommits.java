package dev.lineup.sequencer.stream;

import java.time.Duration;

/**
 * A commit asked for soon after a step releases work, instead of at the end of the commit interval.
 * A release reaches its device only once its transaction commits, and a device that answers at once
 * has its result read early in the next interval, so without this a hand-off waits out nearly a
 * whole interval (docs/BENCHMARKS.md, findings 43 and 57).
 *
 * <p>Asked for only while the stream thread keeps up: when the record whose step released was
 * written less than {@code spacing} ago. A thread that has fallen behind reads records that waited
 * in its buffer, and there the commit interval's batching is what lets it catch up (a commit at
 * every release, or once per 10 ms per task, halved the rate the box held, findings 18 and 28). At
 * most once per {@code spacing} on each stream thread, since Kafka Streams commits a thread's tasks
 * together: a release too soon after the thread's last ask is owed a commit, which the thread's
 * first step after the spacing asks for, so that no release waits for the interval when another
 * record follows it. The extra commits are so bounded whatever the clocks of the records' writers
 * say: a clock ahead makes every record look fresh, which costs at most one commit per {@code
 * spacing}; one behind makes none look fresh, which leaves the commit interval alone.
 */
final class HandoffCommits {

  /** One stream thread's last ask, and whether a release of its tasks is owed a commit. */
  private static final class PerThread {
    long lastAsked = Long.MIN_VALUE / 2;
    boolean owed;
  }

  private final long spacingMs;
  private final ThreadLocal<PerThread> threads = ThreadLocal.withInitial(PerThread::new);

  /**
   * @param spacing the least time between two commits asked for on a thread, and the age of the
   *     freshest record that asks for none; zero turns them off
   */
  HandoffCommits(Duration spacing) {
    if (spacing.isNegative()) {
      throw new IllegalArgumentException("a hand-off commit spacing of " + spacing);
    }
    this.spacingMs = spacing.toMillis();
  }

  /**
   * A step released work for a record written at {@code writtenAt} (the record's timestamp; -1 for
   * a tick): whether it asks for a commit at {@code now}, for this release if the record is fresh,
   * or for one owed from before ({@link #due}).
   */
  boolean released(long writtenAt, long now) {
    if (spacingMs > 0 && writtenAt >= 0 && now - writtenAt <= spacingMs) {
      threads.get().owed = true;
    }
    return due(now);
  }

  /** Whether a step at {@code now} asks for the commit a release is owed; answering yes asks. */
  boolean due(long now) {
    if (spacingMs <= 0) {
      return false;
    }
    PerThread thread = threads.get();
    if (!thread.owed || now - thread.lastAsked < spacingMs) {
      return false;
    }
    thread.owed = false;
    thread.lastAsked = now;
    return true;
  }
}
