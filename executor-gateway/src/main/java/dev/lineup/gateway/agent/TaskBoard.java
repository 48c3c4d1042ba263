package dev.lineup.gateway.agent;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topics;
import dev.lineup.service.auth.TokenHashes;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The agents' side of the deliveries table: claiming a host's next task, checking task tokens,
 * recording outcomes. PostgreSQL is the truth every gateway instance shares; a claim locks its row
 * with SKIP LOCKED, so two instances never hand out one attempt twice.
 */
@Singleton
public final class TaskBoard {

  /** A task handed to an agent, with the token that is its only credential. */
  public record Claimed(ReleasedActivity released, String taskToken) {}

  /** A delivered task a task token proves, and its lease as the gateway knows it. */
  public record Held(
      String activityId,
      String hostId,
      int attempt,
      String type,
      byte[] released,
      Instant leaseExpiresAt) {}

  private final DataSource db;

  public TaskBoard(DataSource db) {
    this.db = db;
  }

  /**
   * Hands the host's oldest pending agent task (script or installer) to the caller, if any; never
   * one whose lease lapsed or whose activity was revoked, whichever consumer saw what first.
   *
   * <p>With a {@code claimKey} (the poll's Idempotency-Key), the same poll sent again gets the task
   * it claimed before, still delivered and unanswered, under a new task token that replaces the old
   * one: the first answer never reached the agent (the gateway died after claiming, or the
   * connection broke), and without it the task would wait, delivered to nobody, for its lease to
   * lapse. Without a key, a lost answer costs the lease.
   */
  public Optional<Claimed> claimNext(String hostId, String claimKey) throws SQLException {
    String keyHash = claimKey == null ? null : TokenHashes.sha256(claimKey);
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        Optional<Claimed> claimed = keyHash == null ? Optional.empty() : again(c, hostId, keyHash);
        if (claimed.isEmpty()) {
          claimed = oldestPending(c, hostId, keyHash);
        }
        c.commit();
        return claimed;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** The task this poll claimed before, if it is still delivered and unanswered. */
  private static Optional<Claimed> again(Connection c, String hostId, String keyHash)
      throws SQLException {
    try (PreparedStatement pick =
        c.prepareStatement(
            "SELECT d.activity_id, d.attempt, d.released FROM deliveries d"
                + " WHERE d.host_id = ? AND d.state = 'DELIVERED' AND d.claim_key_sha256 = ?"
                + " AND d.lease_expires_at > now() AND "
                + dev.lineup.gateway.delivery.Revocations.NOT_REVOKED
                + " FOR UPDATE OF d")) {
      pick.setString(1, hostId);
      pick.setString(2, keyHash);
      return handOut(c, pick, keyHash);
    }
  }

  private static Optional<Claimed> oldestPending(Connection c, String hostId, String keyHash)
      throws SQLException {
    try (PreparedStatement pick =
        c.prepareStatement(
            "SELECT d.activity_id, d.attempt, d.released FROM deliveries d"
                + " WHERE d.host_id = ? AND d.state = 'PENDING'"
                + " AND d.channel IN ('SCRIPT', 'INSTALLER') AND d.lease_expires_at > now()"
                + " AND "
                + dev.lineup.gateway.delivery.Revocations.NOT_REVOKED
                + " ORDER BY d.released_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED")) {
      pick.setString(1, hostId);
      return handOut(c, pick, keyHash);
    }
  }

  /** Marks the row {@code pick} finds delivered under a new task token, and answers it. */
  private static Optional<Claimed> handOut(Connection c, PreparedStatement pick, String keyHash)
      throws SQLException {
    try (ResultSet rs = pick.executeQuery();
        PreparedStatement mark =
            c.prepareStatement(
                "UPDATE deliveries SET state = 'DELIVERED', task_token_sha256 = ?,"
                    + " claim_key_sha256 = ?, delivered_at = COALESCE(delivered_at, now())"
                    + " WHERE activity_id = ? AND attempt = ?")) {
      if (!rs.next()) {
        return Optional.empty();
      }
      String token = TokenHashes.newToken("lineup_task");
      mark.setString(1, TokenHashes.sha256(token));
      mark.setString(2, keyHash);
      mark.setString(3, rs.getString(1));
      mark.setInt(4, rs.getInt(2));
      mark.executeUpdate();
      ReleasedActivity released =
          Topics.RELEASED_SCRIPT
              .valueSerde()
              .deserializer()
              .deserialize("deliveries", rs.getBytes(3));
      return Optional.of(new Claimed(released, token));
    }
  }

  /**
   * The delivered task {@code taskToken} proves for {@code activityId}: bound to one host, one
   * activity and one attempt, and dead once the lease lapsed, a result came, or the activity was
   * cancelled.
   */
  public Optional<Held> held(String activityId, String taskToken) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT d.activity_id, d.host_id, d.attempt, d.type, d.released,"
                    + " d.lease_expires_at FROM deliveries d WHERE d.task_token_sha256 = ?"
                    + " AND d.activity_id = ? AND d.state = 'DELIVERED' AND d.lease_expires_at > now()"
                    + " AND "
                    + dev.lineup.gateway.delivery.Revocations.NOT_REVOKED)) {
      s.setString(1, TokenHashes.sha256(taskToken));
      s.setString(2, activityId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next()
            ? Optional.of(
                new Held(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getInt(3),
                    rs.getString(4),
                    rs.getBytes(5),
                    rs.getTimestamp(6).toInstant()))
            : Optional.empty();
      }
    }
  }

  /**
   * Moves the task's lease to {@code until}, never earlier: a heartbeat extends a lease, and a task
   * given a longer lease than one extension keeps it. Answers the lease the task now has.
   */
  public Instant extendLease(Held task, Instant until) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE deliveries SET lease_expires_at = GREATEST(lease_expires_at, ?)"
                    + " WHERE activity_id = ? AND attempt = ? RETURNING lease_expires_at")) {
      s.setTimestamp(1, Timestamp.from(until));
      s.setString(2, task.activityId());
      s.setInt(3, task.attempt());
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getTimestamp(1).toInstant() : until;
      }
    }
  }

  /** Records the outcome; the task token dies with it. False if it was no longer deliverable. */
  public boolean finish(Held task, String state, Integer exitCode, String output)
      throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE deliveries SET state = ?, exit_code = ?, output = ?, finished_at = now()"
                    + " WHERE activity_id = ? AND attempt = ? AND state = 'DELIVERED'")) {
      s.setString(1, state);
      if (exitCode == null) {
        s.setNull(2, java.sql.Types.INTEGER);
      } else {
        s.setInt(2, exitCode);
      }
      s.setString(3, output);
      s.setString(4, task.activityId());
      s.setInt(5, task.attempt());
      return s.executeUpdate() == 1;
    }
  }
}
