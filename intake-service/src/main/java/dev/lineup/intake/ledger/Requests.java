package dev.lineup.intake.ledger;

import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/** Idempotency keys: which activity a caller's key stands for, and with which body. */
@Singleton
public final class Requests {

  /** A key already used: the body it came with and the activity it made. */
  public record KeyUse(String bodySha256, String activityId) {}

  private final DataSource db;

  public Requests(DataSource db) {
    this.db = db;
  }

  /**
   * Claims {@code scopedKey} for a new activity; when it was claimed before, answers the earlier
   * use instead (the first claim wins, also under concurrent requests).
   */
  public Optional<KeyUse> claim(String scopedKey, String bodySha256, String activityId)
      throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO idempotency_keys (scoped_key, body_sha256, activity_id) VALUES (?, ?, ?)"
                    + " ON CONFLICT (scoped_key) DO NOTHING")) {
      insert.setString(1, scopedKey);
      insert.setString(2, bodySha256);
      insert.setString(3, activityId);
      if (insert.executeUpdate() == 1) {
        return Optional.empty();
      }
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT body_sha256, activity_id FROM idempotency_keys WHERE scoped_key = ?")) {
        select.setString(1, scopedKey);
        try (ResultSet rs = select.executeQuery()) {
          rs.next();
          return Optional.of(new KeyUse(rs.getString(1), rs.getString(2)));
        }
      }
    }
  }

  /** Gives a claim back when the enqueue it was for did not happen. */
  public void release(String scopedKey) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("DELETE FROM idempotency_keys WHERE scoped_key = ?")) {
      s.setString(1, scopedKey);
      s.executeUpdate();
    }
  }
}
