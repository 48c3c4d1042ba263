package dev.lineup.intake.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/hosts/{hostId}/activities}: {@code type} and {@code payload}, and
 * every optional field of the contract. Everything is nullable here so validation can name every
 * missing or wrong field at once.
 */
@Serdeable(naming = SnakeCaseStrategy.class)
public record EnqueueRequest(
    @Nullable String activityId,
    @Nullable String type,
    @Nullable Map<String, Object> payload,
    @Nullable String lane,
    @Nullable Integer priority,
    @Nullable Boolean preempt,
    @Nullable List<String> dependsOn,
    @Nullable String notBefore,
    @Nullable String dedupeKey,
    @Nullable Retry retry,
    @Nullable Long timeoutMs,
    @Nullable Initiator initiator) {

  /** The same request naming its activity id (for idempotent retries). */
  public EnqueueRequest withActivityId(String id) {
    return new EnqueueRequest(
        id, type, payload, lane, priority, preempt, dependsOn, notBefore, dedupeKey, retry,
        timeoutMs, initiator);
  }

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Retry(
      @Nullable Integer maxAttempts,
      @Nullable Long backoffMs,
      @Nullable Double backoffMultiplier) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Initiator(
      @Nullable String kind,
      @Nullable String actorId,
      @Nullable String email,
      @Nullable String name,
      @Nullable String avatarUrl) {}
}
