package dev.lineup.intake.api;

import dev.lineup.intake.validation.ActivityDraft;
import dev.lineup.intake.validation.ActivityDraft.Given;
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

  /**
   * What {@code body} asks for, as the validator reads it: every value as the JSON text gave it;
   * null for no body. (Static, so that it is no property of the body, whose JSON is hashed for
   * Idempotency-Key.)
   */
  static ActivityDraft draft(EnqueueRequest body) {
    if (body == null) {
      return null;
    }
    Retry retry = body.retry();
    Initiator initiator = body.initiator();
    return new ActivityDraft(
        body.activityId(),
        Given.text(body.type()),
        body.payload(),
        Given.text(body.lane()),
        body.priority(),
        body.dependsOn(),
        Given.text(body.notBefore()),
        body.dedupeKey(),
        retry == null
            ? null
            : new ActivityDraft.Retry(
                retry.maxAttempts(), retry.backoffMs(), retry.backoffMultiplier()),
        body.timeoutMs(),
        initiator == null
            ? null
            : new ActivityDraft.Initiator(
                Given.text(initiator.kind()),
                initiator.actorId(),
                initiator.email(),
                initiator.name(),
                initiator.avatarUrl()));
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
