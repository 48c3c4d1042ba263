package dev.lineup.service.auth;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request budgets, as token buckets, per service instance. Two kinds:
 *
 * <ul>
 *   <li>per <b>credential</b> (a bearer token that proved good, by its SHA-256): {@code
 *       lineup.rate-limit.per-second} a second with bursts up to {@code lineup.rate-limit.burst};
 *   <li>per <b>client address</b>, for everything not (yet) proven: requests without a credential,
 *       and credentials that turned out wrong: {@code lineup.rate-limit.per-address.per-second} and
 *       {@code .burst}.
 * </ul>
 *
 * A request is charged before any credential is looked up ({@link RequestCharge}), so a flood of
 * wrong tokens costs the flooder's address its budget, not the database a lookup each.
 *
 * <p>A budget nobody used for {@link #IDLE} is dropped once there are many (an address budget by
 * then is full again, so nothing is lost; a credential is proven again on its next use).
 */
@Singleton
public final class RateLimits {

  /** What a charge came to: allowed, or refused until {@code retryAfterSeconds} from now. */
  public record Taken(boolean allowed, long retryAfterSeconds) {}

  private static final Taken ALLOWED = new Taken(true, 0);
  private static final Duration IDLE = Duration.ofMinutes(10);
  private static final int SWEEP_ABOVE = 10_000;
  private static final long SWEEP_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Budgets credentials;
  private final Budgets addresses;

  public RateLimits(
      @Value("${lineup.rate-limit.per-second:50}") long perSecond,
      @Value("${lineup.rate-limit.burst:200}") long burst,
      @Value("${lineup.rate-limit.per-address.per-second:20}") long perAddressPerSecond,
      @Value("${lineup.rate-limit.per-address.burst:100}") long perAddressBurst) {
    this.credentials = new Budgets(perSecond, burst);
    this.addresses = new Budgets(perAddressPerSecond, perAddressBurst);
  }

  /** Takes one request from a budget of a credential proven before; null if there is none. */
  Taken takeProvenCredential(String credentialHash) {
    Budget budget = credentials.find(credentialHash);
    return budget == null ? null : budget.take();
  }

  /** Opens the budget of a credential that just proved good, and takes this request from it. */
  void openCredential(String credentialHash) {
    credentials.get(credentialHash).take();
  }

  /** The credential stopped working (revoked): its next use is charged to its address again. */
  void forgetCredential(String credentialHash) {
    credentials.remove(credentialHash);
  }

  /** Takes one request from the address's budget. */
  Taken takeAddress(String address) {
    return addresses.get(address).take();
  }

  /** Whether the address has any budget left, without taking from it. */
  Taken peekAddress(String address) {
    Budget budget = addresses.find(address);
    return budget == null ? ALLOWED : budget.peek();
  }

  /** Gives a request back to the address's budget: it proved a credential after all. */
  void refundAddress(String address) {
    Budget budget = addresses.find(address);
    if (budget != null) {
      budget.bucket().addTokens(1);
    }
  }

  /** One bucket and when it was last used. */
  private record Budget(Bucket bucket, AtomicLong lastUsed) {
    Taken take() {
      lastUsed.set(System.nanoTime());
      ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
      return probe.isConsumed() ? ALLOWED : refused(probe.getNanosToWaitForRefill());
    }

    Taken peek() {
      if (bucket.getAvailableTokens() > 0) {
        return ALLOWED;
      }
      return refused(bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
    }

    private static Taken refused(long nanos) {
      return new Taken(false, Math.max(1, TimeUnit.NANOSECONDS.toSeconds(nanos + 999_999_999L)));
    }
  }

  /** The budgets of one kind, by key. */
  private static final class Budgets {
    private final ConcurrentMap<String, Budget> byKey = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep = new AtomicLong(System.nanoTime());
    private final long perSecond;
    private final long burst;

    Budgets(long perSecond, long burst) {
      if (perSecond < 1 || burst < 1) {
        throw new IllegalArgumentException(
            "a rate limit needs at least 1 a second and a burst of 1");
      }
      this.perSecond = perSecond;
      this.burst = burst;
    }

    Budget find(String key) {
      return byKey.get(key);
    }

    Budget get(String key) {
      Budget budget = byKey.get(key);
      if (budget != null) {
        return budget;
      }
      sweepIfMany();
      return byKey.computeIfAbsent(
          key,
          k ->
              new Budget(
                  Bucket.builder()
                      .addLimit(
                          Bandwidth.builder()
                              .capacity(burst)
                              .refillGreedy(perSecond, Duration.ofSeconds(1))
                              .build())
                      .build(),
                  new AtomicLong(System.nanoTime())));
    }

    void remove(String key) {
      byKey.remove(key);
    }

    /** Drops idle budgets once there are many, at most once a second. */
    private void sweepIfMany() {
      long now = System.nanoTime();
      long last = lastSweep.get();
      if (byKey.size() < SWEEP_ABOVE
          || now - last < SWEEP_EVERY_NANOS
          || !lastSweep.compareAndSet(last, now)) {
        return;
      }
      long idleSince = now - IDLE.toNanos();
      byKey.values().removeIf(b -> b.lastUsed().get() - idleSince < 0);
    }
  }
}
