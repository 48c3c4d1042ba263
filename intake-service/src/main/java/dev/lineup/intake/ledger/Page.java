package dev.lineup.intake.ledger;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.util.List;

/** A page of a listing; {@code next_cursor} fetches the next one, null on the last. */
// Always both keys, even for an empty last page: clients loop on next_cursor being null.
@JsonInclude(JsonInclude.Include.ALWAYS)
@Serdeable(naming = SnakeCaseStrategy.class)
public record Page(List<ActivityView> activities, @Nullable String nextCursor) {}
