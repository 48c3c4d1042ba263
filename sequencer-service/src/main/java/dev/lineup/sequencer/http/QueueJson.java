package dev.lineup.sequencer.http;

import dev.lineup.sequencer.queue.QueueView;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.time.Instant;
import java.util.List;

/** The queue endpoint's JSON: the queue model's view, in the API's snake_case with ISO times. */
@Serdeable(naming = SnakeCaseStrategy.class)
record QueueJson(String hostId, boolean paused, List<Item> inFlight, List<Item> upcoming) {

  @Serdeable(naming = SnakeCaseStrategy.class)
  record Item(
      String activityId,
      String type,
      String lane,
      String state,
      int priority,
      int attempt,
      boolean ready,
      int pendingDependencies,
      @Nullable Instant notBefore,
      @Nullable Instant leaseExpiresAt,
      @Nullable Instant retryAt) {}

  static QueueJson of(QueueView.HostQueue queue) {
    return new QueueJson(
        queue.hostId(),
        queue.paused(),
        queue.inFlight().stream().map(QueueJson::item).toList(),
        queue.upcoming().stream().map(QueueJson::item).toList());
  }

  private static Item item(QueueView.Item i) {
    return new Item(
        i.activityId(),
        i.type().toLowerCase(java.util.Locale.ROOT),
        i.lane().toLowerCase(java.util.Locale.ROOT),
        i.state(),
        i.priority(),
        i.attempt(),
        i.ready(),
        i.pendingDependencies(),
        instant(i.notBefore()),
        instant(i.leaseExpiresAt()),
        instant(i.retryAt()));
  }

  private static Instant instant(Long millis) {
    return millis == null ? null : Instant.ofEpochMilli(millis);
  }
}
