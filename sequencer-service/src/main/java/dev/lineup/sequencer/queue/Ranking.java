package dev.lineup.sequencer.queue;

import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * Release order among ready activities of one lane, as a sort key: the smallest key goes first.
 *
 * <p>Every ranking ends with the acceptance sequence, so equal ranks release in the order intake
 * accepted them. {@code AGING} raises effective priority by one per {@code agingStep} waited:
 * {@code priority + (now - acceptedAt) / step}. Comparing two activities at any one {@code now}
 * cancels {@code now} out, so the order is the static key {@code priority * step - acceptedAt} and
 * never has to be recomputed as time passes.
 */
public enum Ranking {
  /** Highest priority first, then acceptance order. */
  PRIORITY,
  /** Acceptance order only. */
  FIFO,
  /** Priority raised by waiting time, so nothing starves. */
  AGING;

  static final int KEY_LENGTH = 16;

  byte[] key(int priority, long acceptedAtMillis, long seq, Duration agingStep) {
    long first =
        switch (this) {
          case PRIORITY -> -(long) priority;
          case FIFO -> 0L;
          case AGING -> acceptedAtMillis - (long) priority * agingStep.toMillis();
        };
    return ByteBuffer.allocate(KEY_LENGTH)
        .putLong(first ^ Long.MIN_VALUE)
        .putLong(seq ^ Long.MIN_VALUE)
        .array();
  }

  /** The key of an activity that must go before every other one of its lane (a preempt). */
  static byte[] head(long seq) {
    return ByteBuffer.allocate(KEY_LENGTH).putLong(0L).putLong(seq ^ Long.MIN_VALUE).array();
  }
}
