package dev.lineup.intake.ledger;

import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.util.List;

/** {@code GET /v1/summary}: how many activities of each type are in each state. */
@Serdeable(naming = SnakeCaseStrategy.class)
public record SummaryView(List<Count> counts) {

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Count(String type, String state, long count) {}
}
