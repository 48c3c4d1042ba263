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
 * Forgets revocations ({@link Revocations}) older than {@code lineup.gateway.revocation-retention}
 * (8 days), every {@code revocation-purge-interval} (1 hour). Without it the table grew by a row
 * for every cancelled or expired activity, for good.
 *
 * <p>A revocation is needed only while a release of its activity could still be handed out. Every
 * release of an activity was written before the event that ended it, and its lease runs at most
 * {@link Limits#MAX_LEASE} (7 days: the sequencer clamps it) from then; a claim and an MDM push
 * both require a lease that has not lapsed, and a task token works only on a DELIVERED row, which
 * the revocation turned REVOKED when it was recorded. So once a revocation is older than the
 * longest lease, no attempt it stopped can be handed out anyway, however late the gateway reads the
 * release. A shorter retention is refused at start-up; the default adds a day for clocks that
 * disagree.
 */
@Singleton
public final class RevocationRetention {

  private static final Logger LOG = LoggerFactory.getLogger(RevocationRetention.class);

  private final DataSource db;
  private final Duration retention;

  public RevocationRetention(
      DataSource db, @Value("${lineup.gateway.revocation-retention}") Duration retention) {
    if (retention.compareTo(Limits.MAX_LEASE) < 0) {
      throw new IllegalArgumentException(
          "lineup.gateway.revocation-retention must be at least the longest lease, "
              + Limits.MAX_LEASE.toDays()
              + " days: a release read later could otherwise be handed out after its cancel");
    }
    this.db = db;
    this.retention = retention;
  }

  /** Deletes the revocations recorded longer than the retention ago; answers how many. */
  @Scheduled(
      fixedDelay = "${lineup.gateway.revocation-purge-interval}",
      initialDelay = "${lineup.gateway.revocation-purge-interval}")
  public void forgetExpired() {
    try {
      int total =
          ChunkedDelete.run(
              db,
              "DELETE FROM revocations WHERE (activity_id, accepted_at) IN"
                  + " (SELECT activity_id, accepted_at FROM revocations"
                  + " WHERE revoked_at < now() - (? * interval '1 millisecond') LIMIT "
                  + ChunkedDelete.PER_STATEMENT
                  + ")",
              retention);
      if (total > 0) {
        LOG.debug("revocation retention {}: forgot {} revocations", retention, total);
      }
    } catch (SQLException e) {
      // The next run tries again; until then the table is merely a little longer.
      LOG.warn(
          "could not forget the revocations older than {}; trying again in the next run",
          retention,
          e);
    }
  }
}
