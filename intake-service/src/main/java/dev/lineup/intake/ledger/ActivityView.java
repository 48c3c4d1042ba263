package dev.lineup.intake.ledger;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
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
    @Nullable Result result) {

  /** What the device reported, once it has. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Result(@Nullable Integer exitCode, @Nullable String output) {}
}
