package dev.lineup.gateway.delivery;

import dev.lineup.schemas.Limits;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * the retention did. A lapsed lease is never claimed, pushed or reported on. A shorter retention is
 * refused at start-up; the default adds a day for clocks that disagree.
 */
@Singleton
public final class DeliveryRetention {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryRetention.class);

  private final DataSource db;
  private final Duration retention;

  public DeliveryRetention(
      DataSource db, @Value("${lineup.gateway.delivery-retention}") Duration retention) {
    if (retention.compareTo(Limits.MAX_LEASE) < 0) {
      throw new IllegalArgumentException(
          "lineup.gateway.delivery-retention must be at least the longest lease, "
              + Limits.MAX_LEASE.toDays()
              + " days: a release read again later could otherwise be handed out a second time");
    }
    this.db = db;
    this.retention = retention;
  }

  /** Deletes the deliveries past the retention and done with. */
  @Scheduled(
      fixedDelay = "${lineup.gateway.delivery-purge-interval}",
      initialDelay = "${lineup.gateway.delivery-purge-interval}")
  public void forgetOld() {
    try {
      int total =
          ChunkedDelete.run(
              db,
              "DELETE FROM deliveries WHERE (activity_id, attempt) IN"
                  + " (SELECT activity_id, attempt FROM deliveries"
                  + " WHERE recorded_at < now() - (? * interval '1 millisecond')"
                  + " AND (finished_at IS NOT NULL OR lease_expires_at < now()) LIMIT "
                  + ChunkedDelete.PER_STATEMENT
                  + ")",
              retention);
      LOG.debug("delivery retention {}: forgot {} deliveries", retention, total);
    } catch (SQLException e) {
      // The next run tries again; until then the table is merely a little longer.
      LOG.warn(
          "could not forget the deliveries older than {}; trying again in the next run",
          retention,
          e);
    }
  }
}
