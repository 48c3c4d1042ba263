package dev.lineup.service.auth;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Requests per caller (per token), as a token bucket: {@code lineup.rate-limit.per-second} a second
 * with bursts up to {@code lineup.rate-limit.burst}. Per service instance.
 */
@Singleton
public final class RateLimits {

  private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final long perSecond;
  private final long burst;

  public RateLimits(
      @Value("${lineup.rate-limit.per-second:50}") long perSecond,
      @Value("${lineup.rate-limit.burst:200}") long burst) {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Takes one request from the caller's allowance; false when it is used up. */
  public boolean tryTake(Caller caller) {
    return buckets
        .computeIfAbsent(
            caller.name(),
            name ->
                Bucket.builder()
                    .addLimit(
                        Bandwidth.builder()
                            .capacity(burst)
                            .refillGreedy(perSecond, Duration.ofSeconds(1))
                            .build())
                    .build())
        .tryConsume(1);
  }
}
