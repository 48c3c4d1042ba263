package dev.lineup.sequencer.queue;

/**
 * A token bucket for releases of system-initiated activities: {@code perSecond} tokens a second, at
 * most {@code burst} saved up. User-initiated releases never take a token.
 *
 * <p>The bucket is per sequencer task and not changelogged: after a restart it starts full, which
 * lets at most one extra burst through.
 */
public final class ReleaseBudget {

  // Kept in thousandths of a token: a refill of whole milliseconds at a whole rate adds whole
  // numbers, so ten refills of 100 ms at 1/s make exactly one token, not 0.9999999.
  private static final double SCALE = 1000.0;

  private final double perSecond;
  private final double burst;
  // Volatile for the metrics scrape, which reads them from another thread (tokensAt).
  private volatile double tokens;
  private volatile long lastRefillMillis = Long.MIN_VALUE;

  public ReleaseBudget(double perSecond, double burst) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("a release budget needs perSecond > 0 and burst >= 1");
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst * SCALE;
  }

  /** Takes one token if there is one at {@code nowMillis}. */
  public boolean tryTake(long nowMillis) {
    refill(nowMillis);
    if (tokens >= SCALE) {
      tokens -= SCALE;
      return true;
    }
    return false;
  }

  /** Whether a token could be taken at {@code nowMillis}, without taking it. */
  public boolean available(long nowMillis) {
    refill(nowMillis);
    return tokens >= SCALE;
  }

  /**
   * The whole and part tokens there would be at {@code nowMillis}, without taking or refilling: for
   * a gauge read on another thread, so it may be a step behind the stream thread.
   */
  public double tokensAt(long nowMillis) {
    double saved = tokens;
    long last = lastRefillMillis;
    if (last != Long.MIN_VALUE && nowMillis > last) {
      saved = Math.min(burst * SCALE, saved + (nowMillis - last) * perSecond);
    }
    return saved / SCALE;
  }

  private void refill(long nowMillis) {
    if (lastRefillMillis != Long.MIN_VALUE && nowMillis > lastRefillMillis) {
      tokens = Math.min(burst * SCALE, tokens + (nowMillis - lastRefillMillis) * perSecond);
    }
    lastRefillMillis = Math.max(lastRefillMillis, nowMillis);
  }
}
