package dev.lineup.gateway.delivery;

import dev.lineup.schemas.Limits;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * Forgets deliveries ({@link Deliveries}) recorded longer than {@code
 * lineup.gateway.delivery-retention} ago (8 days) that are done with: finished (reported, failed or
 * revoked) or with a lease that has lapsed. It looks every {@code delivery-purge-interval} (1
 * hour). Without it the table grew by a row for every release, for good, and with it the work of
 * every statement that reads it.
 *
 * <p>A delivery whose lease is still running (a task whose heartbeats keep extending it) is kept
 * however old, so its agent can still report. A forgotten delivery cannot come back to life: if the
 * gateway read its release again (an offset reset), the row would be written again with the lease
 * the release carries, which ended at most {@link Limits#MAX_LEASE} after its release, so before
 * the retention did. A lapsed lease is never claimed, pushed or reported on. The default retention
 * adds a day to the longest lease for clocks that disagree.
 */
@Singleton
public final class DeliveryRetention extends TableRetention {

  public DeliveryRetention(
      DataSource db, @Value("${lineup.gateway.delivery-retention}") Duration retention) {
    super(
        db,
        retention,
        "lineup.gateway.delivery-retention",
        "deliveries",
        "DELETE FROM deliveries WHERE (activity_id, attempt) IN"
            + " (SELECT activity_id, attempt FROM deliveries"
            + " WHERE recorded_at < now() - (? * interval '1 millisecond')"
            + " AND (finished_at IS NOT NULL OR lease_expires_at < now()) LIMIT "
            + PER_STATEMENT
            + ")",
        "a release read again later could otherwise be handed out a second time");
  }

  /** Deletes the deliveries past the retention and done with. */
  @Scheduled(
      fixedDelay = "${lineup.gateway.delivery-purge-interval}",
      initialDelay = "${lineup.gateway.delivery-purge-interval}")
  public void forgetOld() {
    purge();
  }
}
