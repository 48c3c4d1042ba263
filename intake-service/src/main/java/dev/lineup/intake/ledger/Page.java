package dev.lineup.intake.ledger;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.util.List;

/** A page of a listing; {@code next_cursor} fetches the next one, null on the last. */
@Serdeable(naming = SnakeCaseStrategy.class)
public record Page(List<ActivityView> activities, @Nullable String nextCursor) {}
