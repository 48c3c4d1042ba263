package dev.lineup.intake.ledger;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;

/** One activity as every read API answers it. */
@Serdeable(naming = SnakeCaseStrategy.class)
public record ActivityView(
    String activityId,
    String hostId,
    String type,
    String lane,
    String state,
    @Nullable String reason,
    @Nullable String detail,
    int priority,
    int attempt,
    @Nullable String batchId,
    Instant createdAt,
    @Nullable Instant releasedAt,
    @Nullable Instant finishedAt,
    // type = object: OpenAPI 3.0 wants a type beside `nullable` on a reference.
    @Schema(type = "object", description = "What the device reported, once it has.") @Nullable
        Result result) {

  /** What the device reported, once it has. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Result(@Nullable Integer exitCode, @Nullable String output) {}
}
