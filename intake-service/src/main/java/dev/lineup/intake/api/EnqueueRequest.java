package dev.lineup.intake.api;

import dev.lineup.intake.validation.ActivityDraft;
import dev.lineup.intake.validation.ActivityDraft.Given;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/hosts/{hostId}/activities}: {@code type} and {@code payload}, and
 * every optional field of the contract. Everything is nullable here so validation can name every
 * missing or wrong field at once.
 */
@Serdeable(naming = SnakeCaseStrategy.class)
@Schema(description = "An activity to enqueue: `type` and `payload` are required.")
public record EnqueueRequest(
    @Schema(description = "A UUID; giving one makes the request idempotent.") @Nullable
        String activityId,
    @Schema(
            description =
                "mdm_command, mdm_query, profile_install, profile_remove, app_store_install,"
                    + " script_run, software_install, software_uninstall, lock or wipe"
                    + " (any case).",
            example = "script_run")
        @Nullable
        String type,
    @Schema(
            description = "The type's fields (docs/CONTRACT.md, Activity).",
            additionalProperties = Schema.AdditionalPropertiesValue.TRUE)
        @Nullable
        Map<String, Object> payload,
    @Schema(description = "default, setup, or bypass (mdm_query only).", example = "default")
        @Nullable
        String lane,
    @Schema(description = "Higher goes first; default 0.") @Nullable Integer priority,
    @Schema(description = "Cancel everything upcoming on the host and go first.") @Nullable
        Boolean preempt,
    @Schema(description = "Up to 100 activity ids on the same host that must succeed first.")
        @Nullable
        List<String> dependsOn,
    @Schema(description = "An RFC 3339 time; not released before it.", format = "date-time")
        @Nullable
        String notBefore,
    @Schema(maxLength = 255) @Nullable String dedupeKey,
    @Schema(type = "object") @Nullable Retry retry,
    @Nullable Long timeoutMs,
    @Schema(type = "object") @Nullable Initiator initiator) {

  /** The same request naming its activity id (for idempotent retries). */
  public EnqueueRequest withActivityId(String id) {
    return new EnqueueRequest(
        id, type, payload, lane, priority, preempt, dependsOn, notBefore, dedupeKey, retry,
        timeoutMs, initiator);
  }

  /** The same request with another payload (a schedule keeps an inline script by its hash). */
  public EnqueueRequest withPayload(Map<String, Object> other) {
    return new EnqueueRequest(
        activityId,
        type,
        other,
        lane,
        priority,
        preempt,
        dependsOn,
        notBefore,
        dedupeKey,
        retry,
        timeoutMs,
        initiator);
  }

  /** The same request initiated by {@code other}. */
  public EnqueueRequest withInitiator(Initiator other) {
    return new EnqueueRequest(
        activityId,
        type,
        payload,
        lane,
        priority,
        preempt,
        dependsOn,
        notBefore,
        dedupeKey,
        retry,
        timeoutMs,
        other);
  }

  /**
   * What {@code body} asks for, as the validator reads it: every value as the JSON text gave it;
   * null for no body. (Static, so that it is no property of the body, whose JSON is hashed for
   * Idempotency-Key.)
   */
  public static ActivityDraft draft(EnqueueRequest body) {
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
