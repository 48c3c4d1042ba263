package dev.lineup.gateway.delivery;

import dev.lineup.avro.LifecycleEvent;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/**
 * Activities that ended other than by a report (cancelled, expired): none of their attempts may be
 * handed to an agent or pushed to an MDM server, and their task tokens stop working.
 *
 * <p>The cancel and the release reach the gateway through different consumers, in either order. A
 * revocation is therefore kept even when no delivery of the activity exists yet, and every place
 * that hands work out asks this table ({@link #NOT_REVOKED}) at the moment it does. Marking rows
 * REVOKED alone would not do: a release recorded concurrently with the revocation (two
 * transactions, neither seeing the other's row) would stay PENDING.
 */
@Singleton
public final class Revocations {

  /**
   * A condition on a {@code deliveries d} row: no revocation names its activity, acceptance and
   * attempt (or a later attempt).
   */
  public static final String NOT_REVOKED =
      "NOT EXISTS (SELECT 1 FROM revocations r WHERE r.activity_id = d.activity_id"
          + " AND r.accepted_at = d.accepted_at AND r.attempt >= d.attempt)";

  private final DataSource db;

  public Revocations(DataSource db) {
    this.db = db;
  }

  /**
   * Records the activities that ended and revokes the deliveries recorded so far. A repeated event
   * changes nothing; the later of two ends of one acceptance (there is only one) wins.
   */
  public void record(List<LifecycleEvent> ended) throws SQLException {
    if (ended.isEmpty()) {
      return;
    }
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement remember =
              c.prepareStatement(
                  "INSERT INTO revocations (activity_id, accepted_at, attempt, state)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT (activity_id, accepted_at) DO UPDATE"
                      + " SET attempt = GREATEST(revocations.attempt, EXCLUDED.attempt)");
          PreparedStatement revoke =
              c.prepareStatement(
                  "UPDATE deliveries SET state = 'REVOKED', finished_at = now()"
                      + " WHERE activity_id = ? AND attempt <= ? AND state IN ('PENDING', 'DELIVERED')"
                      + " AND (accepted_at = ? OR accepted_at IS NULL)")) {
        for (LifecycleEvent e : ended) {
          // Events always carry the acceptance; one that does not cannot be matched to a release.
          Instant accepted = e.getAcceptedAt() == null ? Instant.EPOCH : e.getAcceptedAt();
          remember.setString(1, e.getActivityId());
          remember.setTimestamp(2, Timestamp.from(accepted));
          remember.setInt(3, e.getAttempt());
          remember.setString(4, e.getState().name());
          remember.addBatch();
          revoke.setString(1, e.getActivityId());
          revoke.setInt(2, e.getAttempt());
          revoke.setTimestamp(3, Timestamp.from(accepted));
          revoke.addBatch();
        }
        remember.executeBatch();
        revoke.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }
}
