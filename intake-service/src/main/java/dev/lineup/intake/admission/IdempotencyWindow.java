package dev.lineup.intake.admission;

import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long intake remembers an enqueue (defect 7): within {@code lineup.intake.idempotency-window}
 * the same activity id again, by any front door, is a no-op answered with the existing activity
 * ({@link ActivityClaims}), and the same Idempotency-Key answers the same activity. This is what
 * makes a resent request harmless: the sequencer forgets finished activities after its {@code
 * finished-retention} (a day) and never remembers one it rejected (QUEUE_FULL, DEDUPLICATED), so it
 * cannot be the memory.
 *
 * <p>Older claims and keys are forgotten here, periodically; after that the same id runs again on
 * its host (the ledger shows the new run), and is still refused on any other host.
 */
@Singleton
public final class IdempotencyWindow {

  private static final Logger LOG = LoggerFactory.getLogger(IdempotencyWindow.class);

  /** Rows deleted per statement, so no purge holds its locks for long. */
  private static final int PER_STATEMENT = 10_000;

  private final DataSource db;
  private final Duration window;

  public IdempotencyWindow(
      DataSource db, @Value("${lineup.intake.idempotency-window}") Duration window) {
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("lineup.intake.idempotency-window must be positive");
    }
    this.db = db;
    this.window = window;
  }

  /** Forgets the activity id claims and Idempotency-Keys older than the window. */
  @Scheduled(
      fixedDelay = "${lineup.intake.idempotency-purge-interval}",
      initialDelay = "${lineup.intake.idempotency-purge-interval}")
  public void forgetExpired() {
    try {
      int claims = forget("activity_claims", "activity_id", "claimed_at");
      int keys = forget("idempotency_keys", "scoped_key", "created_at");
      if (claims + keys > 0) {
        LOG.info(
            "idempotency window {}: forgot {} activity id claims and {} Idempotency-Keys",
            window,
            claims,
            keys);
      }
    } catch (SQLException e) {
      // The next run tries again; until then the window is merely a little longer.
      LOG.warn("could not forget what is older than the idempotency window {}", window, e);
    }
  }

  private int forget(String table, String key, String time) throws SQLException {
    String sql =
        String.format(
            "DELETE FROM %1$s WHERE %2$s IN (SELECT %2$s FROM %1$s"
                + " WHERE %3$s < now() - (? * interval '1 millisecond') LIMIT %4$d)",
            table, key, time, PER_STATEMENT);
    int total = 0;
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      int deleted;
      do {
        s.setLong(1, window.toMillis());
        deleted = s.executeUpdate();
        total += deleted;
      } while (deleted == PER_STATEMENT);
    }
    return total;
  }
}
