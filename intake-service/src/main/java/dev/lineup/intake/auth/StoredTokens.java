package dev.lineup.intake.auth;

import dev.lineup.service.auth.Caller;
import dev.lineup.service.auth.Role;
import dev.lineup.service.auth.TokenAuthority;
import dev.lineup.service.auth.TokenHashes;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** API tokens made through {@code POST /v1/tokens}, kept as SHA-256 hashes in PostgreSQL. */
@Singleton
public final class StoredTokens implements TokenAuthority {

  /** A token as listed: never the token itself. */
  public record Listed(String name, Role role, Instant createdAt, Instant revokedAt) {}

  private final DataSource db;

  public StoredTokens(DataSource db) {
    this.db = db;
  }

  @Override
  public Optional<Caller> authenticate(String bearerToken) {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT name, role FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL")) {
      s.setString(1, TokenHashes.sha256(bearerToken));
      try (ResultSet rs = s.executeQuery()) {
        return rs.next()
            ? Optional.of(new Caller(rs.getString(1), Role.valueOf(rs.getString(2))))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("token store unavailable", e);
    }
  }

  /** Makes a token; answers it, the only time it is ever shown. Empty if the name is taken. */
  public Optional<String> create(String name, Role role) throws SQLException {
    String token = TokenHashes.newToken("lineup_" + role.name().toLowerCase(java.util.Locale.ROOT));
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO api_tokens (name, token_sha256, role) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")) {
      s.setString(1, name);
      s.setString(2, TokenHashes.sha256(token));
      s.setString(3, role.name());
      return s.executeUpdate() == 1 ? Optional.of(token) : Optional.empty();
    }
  }

  public boolean revoke(String name) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE api_tokens SET revoked_at = now() WHERE name = ? AND revoked_at IS NULL")) {
      s.setString(1, name);
      return s.executeUpdate() == 1;
    }
  }

  public List<Listed> list() throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT name, role, created_at, revoked_at FROM api_tokens ORDER BY name");
        ResultSet rs = s.executeQuery()) {
      List<Listed> tokens = new ArrayList<>();
      while (rs.next()) {
        var revoked = rs.getTimestamp(4);
        tokens.add(
            new Listed(
                rs.getString(1),
                Role.valueOf(rs.getString(2)),
                rs.getTimestamp(3).toInstant(),
                revoked == null ? null : revoked.toInstant()));
      }
      return tokens;
    }
  }
}
