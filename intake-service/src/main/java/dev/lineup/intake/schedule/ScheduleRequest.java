package dev.lineup.intake.schedule;

import dev.lineup.intake.api.EnqueueRequest;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;

/** The body of {@code POST /v1/schedules}. Everything is nullable so every error is named. */
@Serdeable(naming = SnakeCaseStrategy.class)
@Schema(
    description =
        "A recurring activity: `host_id`, `activity` and exactly one of `every` and `cron`.")
public record ScheduleRequest(
    @Schema(description = "A UUID; giving one makes the request idempotent.") @Nullable
        String scheduleId,
    @Schema(example = "mac-42", minLength = 1, maxLength = 255) @Nullable String hostId,
    @Schema(
            type = "object",
            description =
                "The enqueue body each firing sends, as for POST /v1/hosts/{hostId}/activities,"
                    + " without activity_id, depends_on and not_before.")
        @Nullable
        EnqueueRequest activity,
    @Schema(description = "An ISO-8601 interval, PT1M to P366D.", example = "PT6H") @Nullable
        String every,
    @Schema(
            description = "Five cron fields: minute hour day-of-month month day-of-week.",
            example = "0 3 * * *")
        @Nullable
        String cron,
    @Schema(description = "The cron's IANA time zone; default UTC.", example = "Europe/Paris")
        @Nullable
        String timeZone,
    @Schema(
            description =
                "RFC 3339; the first slot (intervals count from it), at most a year ahead."
                    + " Default: now.",
            format = "date-time")
        @Nullable
        String startAt) {}
