package dev.lineup.intake.workflow;

import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/** The workflows table: every version of every workflow, never changed once written. */
@Singleton
final class Workflows {

  /** One stored version: its definition as JSON values. */
  record Version(String name, int version, Map<String, Object> definition, Instant createdAt) {}

  private final DataSource db;
  private final JsonMapper json;

  Workflows(DataSource db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** The latest version, or {@code version} if given. */
  Optional<Version> find(String name, Integer version) throws SQLException {
    String sql =
        "SELECT name, version, definition::text, created_at FROM workflows WHERE name = ?"
            + (version == null ? " ORDER BY version DESC LIMIT 1" : " AND version = ?");
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, name);
      if (version != null) {
        s.setInt(2, version);
      }
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  /** The latest version of every workflow, by name. */
  List<Version> latest() throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT DISTINCT ON (name) name, version, definition::text, created_at"
                    + " FROM workflows ORDER BY name, version DESC")) {
      List<Version> found = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          found.add(read(rs));
        }
      }
      return found;
    }
  }

  /**
   * Stores {@code definition} as the version after the latest, unless it equals the latest: then
   * the latest is the answer and {@code created} is false. Two changes at once are serialised per
   * name.
   */
  record Stored(Version version, boolean created) {}

  Stored store(String name, Map<String, Object> definition) throws SQLException {
    Map<String, Object> wanted = normalised(definition);
    String text = write(definition);
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement lock =
            c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, "workflows:" + name);
          lock.executeQuery().close();
        }
        Version latest = null;
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT name, version, definition::text, created_at FROM workflows"
                    + " WHERE name = ? ORDER BY version DESC LIMIT 1")) {
          s.setString(1, name);
          try (ResultSet rs = s.executeQuery()) {
            if (rs.next()) {
              latest = read(rs);
            }
          }
        }
        if (latest != null && latest.definition().equals(wanted)) {
          c.commit();
          return new Stored(latest, false);
        }
        Version stored;
        try (PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO workflows (name, version, definition) VALUES (?, ?, ?::jsonb)"
                    + " RETURNING name, version, definition::text, created_at")) {
          insert.setString(1, name);
          insert.setInt(2, latest == null ? 1 : latest.version() + 1);
          insert.setString(3, text);
          try (ResultSet rs = insert.executeQuery()) {
            rs.next();
            stored = read(rs);
          }
        }
        c.commit();
        return new Stored(stored, true);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private String write(Map<String, Object> definition) {
    try {
      return json.writeValueAsString(definition);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The definition as it reads back from the database (numbers and key order as JSON gives). */
  private Map<String, Object> normalised(Map<String, Object> definition) {
    try {
      return json.readValue(write(definition), Argument.mapOf(String.class, Object.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Version read(ResultSet rs) throws SQLException {
    try {
      return new Version(
          rs.getString(1),
          rs.getInt(2),
          json.readValue(rs.getString(3), Argument.mapOf(String.class, Object.class)),
          rs.getTimestamp(4).toInstant());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
