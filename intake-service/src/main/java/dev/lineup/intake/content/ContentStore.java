package dev.lineup.intake.content;

import jakarta.inject.Singleton;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Scripts and files, stored once in PostgreSQL under their SHA-256. Content is never deleted, so a
 * hash once seen stored stays stored: the store remembers the hashes it has seen and skips the
 * database for them (the same script enqueued for ten thousand hosts is written and checked once).
 */
@Singleton
public final class ContentStore {

  /** Past this many remembered hashes the memory starts over; it only ever saves a round trip. */
  private static final int REMEMBERED = 100_000;

  private final DataSource db;
  private final Set<String> knownStored = ConcurrentHashMap.newKeySet();

  public ContentStore(DataSource db) {
    this.db = db;
  }

  /** Stores {@code body} unless it is there already; returns its SHA-256 (lowercase hex). */
  public String put(byte[] body) throws SQLException {
    String sha = sha256(body);
    if (knownStored.contains(sha)) {
      return sha;
    }
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO contents (sha256, body, size) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING")) {
      s.setString(1, sha);
      s.setBytes(2, body);
      s.setInt(3, body.length);
      s.executeUpdate();
    }
    remember(sha);
    return sha;
  }

  public boolean exists(String sha256) throws SQLException {
    if (knownStored.contains(sha256)) {
      return true;
    }
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT 1 FROM contents WHERE sha256 = ?")) {
      s.setString(1, sha256);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          remember(sha256);
          return true;
        }
        return false;
      }
    }
  }

  private void remember(String sha256) {
    if (knownStored.size() >= REMEMBERED) {
      knownStored.clear();
    }
    knownStored.add(sha256);
  }

  public Optional<byte[]> get(String sha256) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT body FROM contents WHERE sha256 = ?")) {
      s.setString(1, sha256);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    }
  }

  static String sha256(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
