package dev.lineup.intake.secret;

import dev.lineup.service.secrets.SecretBox;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;

/** The secrets table (sealed values) and which activities reference which secret. */
@Singleton
public final class Secrets {

  /** A secret as anyone may see it: its name and when it last changed. */
  public record Named(String name, Instant updatedAt) {}

  /** How long a reference whose activity the ledger never came to know still blocks a delete. */
  private static final String UNSEEN_REFERENCE_COUNTS_FOR = "interval '1 day'";

  /**
   * How old a reference to a finished activity must be to be forgotten: its id may be enqueued
   * again after the idempotency window, and the new run's reference must outlive the ledger's lag
   * before the ledger shows that run unfinished.
   */
  private static final String FINISHED_REFERENCE_KEPT_FOR = "interval '1 hour'";

  /** References read per statement when forgetting, so that none holds its locks for long. */
  private static final int REFERENCES_PER_STATEMENT = 10_000;

  private final DataSource db;

  public Secrets(DataSource db) {
    this.db = db;
  }

  /** What a put did: whether the name is new, and when it changed. */
  record Put(boolean created, Instant updatedAt) {}

  /** Stores or replaces a sealed value. */
  Put put(String name, SecretBox.Sealed sealed) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO secrets (name, nonce, sealed) VALUES (?, ?, ?)"
                    + " ON CONFLICT (name) DO UPDATE SET nonce = EXCLUDED.nonce,"
                    + " sealed = EXCLUDED.sealed, updated_at = now()"
                    + " RETURNING (xmax = 0), updated_at")) {
      s.setString(1, name);
      s.setBytes(2, sealed.nonce());
      s.setBytes(3, sealed.ciphertext());
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return new Put(rs.getBoolean(1), rs.getTimestamp(2).toInstant());
      }
    }
  }

  List<Named> list() throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT name, updated_at FROM secrets ORDER BY name")) {
      List<Named> names = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          names.add(new Named(rs.getString(1), rs.getTimestamp(2).toInstant()));
        }
      }
      return names;
    }
  }

  Optional<SecretBox.Sealed> sealed(String name) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT nonce, sealed FROM secrets WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next()
            ? Optional.of(new SecretBox.Sealed(rs.getBytes(1), rs.getBytes(2)))
            : Optional.empty();
      }
    }
  }

  /** Of {@code names}, those no secret has. */
  public Set<String> missing(Collection<String> names) throws SQLException {
    Set<String> missing = new TreeSet<>(names);
    if (missing.isEmpty()) {
      return missing;
    }
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT name FROM secrets WHERE name = ANY (?)")) {
      s.setArray(1, c.createArrayOf("text", names.toArray(String[]::new)));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          missing.remove(rs.getString(1));
        }
      }
    }
    return missing;
  }

  /**
   * Records that each activity references these secrets, holding the secrets' rows (FOR SHARE) so
   * that no delete passes in between; answers the names that no longer exist (deleted since the
   * activity was validated), and records nothing then.
   */
  public Set<String> recordReferences(List<String> activityIds, List<Set<String>> names)
      throws SQLException {
    Set<String> wanted = new TreeSet<>();
    names.forEach(wanted::addAll);
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        Set<String> missing = new TreeSet<>(wanted);
        try (PreparedStatement hold =
            c.prepareStatement(
                "SELECT name FROM secrets WHERE name = ANY (?) ORDER BY name FOR SHARE")) {
          hold.setArray(1, c.createArrayOf("text", wanted.toArray(String[]::new)));
          try (ResultSet rs = hold.executeQuery()) {
            while (rs.next()) {
              missing.remove(rs.getString(1));
            }
          }
        }
        if (!missing.isEmpty()) {
          c.rollback();
          return missing;
        }
        try (PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO secret_references (activity_id, name) VALUES (?, ?)"
                    + " ON CONFLICT (name, activity_id) DO UPDATE SET recorded_at = now()")) {
          for (int i = 0; i < activityIds.size(); i++) {
            for (String name : names.get(i)) {
              s.setString(1, activityIds.get(i));
              s.setString(2, name);
              s.addBatch();
            }
          }
          s.executeBatch();
        }
        c.commit();
        return Set.of();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * Deletes a secret unless an unfinished activity references it; answers those activities (at most
   * 100), and deletes nothing, if one does. Empty if there was no such secret either.
   */
  record Deletion(boolean existed, List<String> blockedBy) {}

  Deletion delete(String name) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        // Locks the secret's row: an enqueue recording a reference to it (FOR SHARE) waits for
        // the answer, or this waits for the enqueue's reference.
        try (PreparedStatement lock =
            c.prepareStatement("SELECT 1 FROM secrets WHERE name = ? FOR UPDATE")) {
          lock.setString(1, name);
          try (ResultSet rs = lock.executeQuery()) {
            if (!rs.next()) {
              c.rollback();
              return new Deletion(false, List.of());
            }
          }
        }
        List<String> blockedBy = new ArrayList<>();
        try (PreparedStatement users =
            c.prepareStatement(
                // Unfinished in the ledger, or not in it yet: the ledger lags the enqueue (a
                // Kafka front door request has no row until the projection writes it). A
                // reference the ledger never came to know (an enqueue that failed) stops
                // counting after a day.
                "SELECT r.activity_id FROM secret_references r"
                    + " LEFT JOIN activities a ON a.activity_id = r.activity_id"
                    + " WHERE r.name = ? AND (a.finished_at IS NULL AND a.activity_id IS NOT NULL"
                    + " OR a.activity_id IS NULL AND r.recorded_at > now() - "
                    + UNSEEN_REFERENCE_COUNTS_FOR
                    + ") ORDER BY r.activity_id LIMIT 100")) {
          users.setString(1, name);
          try (ResultSet rs = users.executeQuery()) {
            while (rs.next()) {
              blockedBy.add(rs.getString(1));
            }
          }
        }
        if (!blockedBy.isEmpty()) {
          c.rollback();
          return new Deletion(true, blockedBy);
        }
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM secrets WHERE name = ?");
            PreparedStatement forget =
                c.prepareStatement("DELETE FROM secret_references WHERE name = ?")) {
          delete.setString(1, name);
          delete.executeUpdate();
          forget.setString(1, name);
          forget.executeUpdate();
        }
        c.commit();
        return new Deletion(true, List.of());
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * Forgets the references that can no longer block a delete: those of activities the ledger shows
   * finished, and those over a day old that the ledger never came to know. Without this the table
   * keeps every reference ever recorded, and each delete of a secret reads all of its own. Answers
   * how many it forgot.
   */
  int forgetSettledReferences() throws SQLException {
    return forgetSettledReferences(REFERENCES_PER_STATEMENT);
  }

  /**
   * {@link #forgetSettledReferences()}, walking the table in key order {@code perStatement} rows at
   * a time, so a pass reads each row once however many it keeps. A reference recorded again while
   * the pass runs (its {@code recorded_at} moved) is not deleted, nor one another transaction holds
   * locked: the pass never waits for a secret's delete.
   */
  int forgetSettledReferences(int perStatement) throws SQLException {
    String sql =
        "WITH page AS (SELECT name, activity_id, recorded_at FROM secret_references"
            + " WHERE (name, activity_id) > (?, ?) ORDER BY name, activity_id LIMIT ?),"
            + " settled AS (SELECT p.* FROM page p"
            + " LEFT JOIN activities a ON a.activity_id = p.activity_id"
            + " WHERE p.recorded_at < now() - "
            + FINISHED_REFERENCE_KEPT_FOR
            + " AND (a.finished_at IS NOT NULL"
            + " OR a.activity_id IS NULL AND p.recorded_at < now() - "
            + UNSEEN_REFERENCE_COUNTS_FOR
            + ")),"
            // A row another transaction holds (a delete of its secret) is left to the next pass,
            // not waited for: two deletes locking rows of one secret in different orders could
            // deadlock, and the secret's delete would fail for it.
            + " free AS (SELECT r.name, r.activity_id FROM secret_references r JOIN settled s"
            + " ON r.name = s.name AND r.activity_id = s.activity_id"
            + " AND r.recorded_at = s.recorded_at FOR UPDATE OF r SKIP LOCKED),"
            + " gone AS (DELETE FROM secret_references r USING free f"
            + " WHERE r.name = f.name AND r.activity_id = f.activity_id RETURNING 1),"
            + " last AS (SELECT name, activity_id FROM page"
            + " ORDER BY name DESC, activity_id DESC LIMIT 1)"
            + " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM page),"
            + " (SELECT name FROM last), (SELECT activity_id FROM last)";
    int total = 0;
    String afterName = "";
    String afterId = "";
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      while (true) {
        s.setString(1, afterName);
        s.setString(2, afterId);
        s.setInt(3, perStatement);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          total += rs.getInt(1);
          if (rs.getInt(2) < perStatement) {
            return total;
          }
          afterName = rs.getString(3);
          afterId = rs.getString(4);
        }
      }
    }
  }
}
