package dev.lineup.intake.schedule;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.Map;

/** One schedule as every schedule API answers it. */
@Serdeable(naming = SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ScheduleView(
    String scheduleId,
    String hostId,
    @Schema(
            type = "object",
            description =
                "The enqueue body each firing sends (an inline script stands as its SHA-256).",
            additionalProperties = Schema.AdditionalPropertiesValue.TRUE)
        Map<String, Object> activity,
    @Schema(description = "The interval (ISO-8601), or null for a cron schedule.") @Nullable
        String every,
    @Schema(description = "The cron expression, or null for an interval.") @Nullable String cron,
    String timeZone,
    Instant startAt,
    @Schema(description = "The next slot; a paused schedule keeps it until it resumes.")
        Instant nextFireAt,
    boolean paused,
    @Schema(description = "The activity of the last firing that enqueued one.") @Nullable
        String lastActivityId,
    @Schema(description = "Its state in the ledger.") @Nullable String lastState,
    @Nullable Instant lastFiredAt,
    @Schema(description = "Firings skipped because the previous activity had not ended.")
        long skippedFirings,
    @Schema(description = "Why the last firing could not enqueue, until one does.") @Nullable
        String lastError,
    Instant createdAt) {}
