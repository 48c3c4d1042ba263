package dev.lineup.intake.ops;

import dev.lineup.avro.LifecycleEvent;
import dev.lineup.intake.ledger.ActivityView;
import dev.lineup.schemas.StoredText;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.Locale;

/**
 * One {@code lineup.events} record as the tail answers it: the activity's fields under the names
 * and spellings of {@link ActivityView}, plus where the record is and what the event says.
 */
@Serdeable(naming = SnakeCaseStrategy.class)
public record EventView(
    int partition,
    long offset,
    String eventId,
    String activityId,
    String hostId,
    long sequence,
    String state,
    String reason,
    @Nullable String detail,
    @Nullable String type,
    String lane,
    int priority,
    int attempt,
    @Nullable String batchId,
    Instant occurredAt,
    // type = object: OpenAPI 3.0 wants a type beside `nullable` on a reference.
    @Schema(type = "object", description = "What the device reported, on a final event.") @Nullable
        ActivityView.Result result) {

  /**
   * An agent's output may be 64 KiB per event; the tail shows its start, and the activity read
   * ({@code GET /v1/activities/{id}}) the whole of it.
   */
  static final int OUTPUT_BYTES = 1024;

  static EventView of(int partition, long offset, LifecycleEvent e) {
    ActivityView.Result result =
        e.getExitCode() == null && e.getOutput() == null
            ? null
            : new ActivityView.Result(e.getExitCode(), StoredText.of(e.getOutput(), OUTPUT_BYTES));
    return new EventView(
        partition,
        offset,
        e.getEventId(),
        e.getActivityId(),
        e.getHostId(),
        e.getSequence(),
        e.getState().name(),
        e.getReason().name(),
        e.getDetail(),
        e.getType() == null ? null : e.getType().name().toLowerCase(Locale.ROOT),
        e.getLane().name().toLowerCase(Locale.ROOT),
        e.getPriority(),
        e.getAttempt(),
        e.getBatchId(),
        e.getOccurredAt(),
        result);
  }
}
