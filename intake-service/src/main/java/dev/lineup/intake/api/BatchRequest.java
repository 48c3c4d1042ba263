package dev.lineup.intake.api;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.util.List;

/** {@code POST /v1/batches}: activities across hosts, each an enqueue body plus its host id. */
@Serdeable(naming = SnakeCaseStrategy.class)
public record BatchRequest(@Nullable List<Item> activities) {

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Item(@Nullable String hostId, @JsonUnwrapped EnqueueRequest activity) {}
}
