package dev.lineup.sequencer.stream;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A commit asked for soon after a step releases work, instead of at the end of the commit interval.
 * A release reaches its device only once its transaction commits, and a device that answers at once
 * has its result read early in the next interval, so without this a hand-off waits out nearly a
 * whole interval (docs/BENCHMARKS.md, findings 43 and 57).
 *
 * <p>Asked for only while the stream thread keeps up: when the record whose step released was
 * written less than {@code spacing} ago. At most once per {@code spacing}: a release too soon after
 * the last ask is owed a commit, asked for by the first step after the spacing, so that no release
 * waits for the interval when another record follows it. A thread that has fallen behind reads
 * records that waited in its buffer, and there the commit interval's batching is what lets it catch
 * up (committing at every release lost a quarter of the burst's rate, finding 28). The spacing is
 * for all the tasks of an instance, so the extra commits are bounded whatever the clocks of the
 * records' writers say: a writer's clock ahead makes every record look fresh, which costs at most
 * one commit per {@code spacing}; one behind makes none look fresh, which leaves the commit
 * interval alone.
 */
final class HandoffCommits {

  private final long spacingMs;
  private final AtomicLong lastAsked = new AtomicLong(Long.MIN_VALUE / 2);
  private final AtomicBoolean owed = new AtomicBoolean();

  /** None asked for: the commit interval alone. */
  static HandoffCommits off() {
    return new HandoffCommits(Duration.ZERO);
  }

  /**
   * @param spacing the least time between two commits asked for, and the age of the freshest record
   *     that asks for none; zero turns them off
   */
  HandoffCommits(Duration spacing) {
    if (spacing.isNegative()) {
      throw new IllegalArgumentException("a hand-off commit spacing of " + spacing);
    }
    this.spacingMs = spacing.toMillis();
  }

  /**
   * A step released work for a record written at {@code writtenAt} (the record's timestamp; -1 for
   * a tick): whether it asks for a commit at {@code now}. A fresh one too soon after the last ask
   * is owed one, which the first step of any task at least {@code spacing} after that ask asks for
   * ({@link #due}).
   */
  boolean released(long writtenAt, long now) {
    if (spacingMs <= 0 || writtenAt < 0 || now - writtenAt > spacingMs) {
      return false;
    }
    owed.set(true);
    return due(now);
  }

  /** Whether a step at {@code now} asks for the commit a release is owed; answering yes asks. */
  boolean due(long now) {
    if (!owed.get()) {
      return false;
    }
    long last = lastAsked.get();
    if (now - last < spacingMs || !lastAsked.compareAndSet(last, now)) {
      return false;
    }
    owed.set(false);
    return true;
  }
}
