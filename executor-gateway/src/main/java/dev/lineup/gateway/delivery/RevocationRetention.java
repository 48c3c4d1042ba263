package dev.lineup.gateway.delivery;

import dev.lineup.schemas.Limits;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import javax.sql.DataSource;

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
 * release. The default adds a day to the longest lease for clocks that disagree.
 */
@Singleton
public final class RevocationRetention extends TableRetention {

  public RevocationRetention(
      DataSource db, @Value("${lineup.gateway.revocation-retention}") Duration retention) {
    super(
        db,
        retention,
        "lineup.gateway.revocation-retention",
        "revocations",
        "DELETE FROM revocations WHERE (activity_id, accepted_at) IN"
            + " (SELECT activity_id, accepted_at FROM revocations"
            + " WHERE revoked_at < now() - (? * interval '1 millisecond') LIMIT "
            + PER_STATEMENT
            + ")",
        "a release read later could otherwise be handed out after its cancel");
  }

  /** Deletes the revocations recorded longer than the retention ago. */
  @Scheduled(
      fixedDelay = "${lineup.gateway.revocation-purge-interval}",
      initialDelay = "${lineup.gateway.revocation-purge-interval}")
  public void forgetExpired() {
    purge();
  }
}
