package dev.lineup.gateway.agent;

import dev.lineup.service.auth.TokenHashes;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/** Hosts enrolled with the enroll secret, each with a host token kept as a hash. */
@Singleton
public final class Enrollments {

  private final DataSource db;
  private final String enrollSecretHash;

  public Enrollments(DataSource db, @Value("${lineup.enroll-secret}") String enrollSecret) {
    if (enrollSecret.length() < 16) {
      throw new IllegalArgumentException(
          "lineup.enroll-secret (LINEUP_ENROLL_SECRET) must be at least 16 characters");
    }
    this.db = db;
    this.enrollSecretHash = TokenHashes.sha256(enrollSecret);
  }

  /**
   * A new host token for {@code hostId} if the secret is right; the previous token stops working.
   */
  public Optional<String> enroll(String hostId, String secret) throws SQLException {
    if (secret == null || !TokenHashes.sameHash(enrollSecretHash, TokenHashes.sha256(secret))) {
      return Optional.empty();
    }
    String token = TokenHashes.newToken("lineup_host");
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO enrolled_hosts (host_id, token_sha256) VALUES (?, ?)"
                    + " ON CONFLICT (host_id) DO UPDATE SET token_sha256 = EXCLUDED.token_sha256,"
                    + " enrolled_at = now(), revoked_at = NULL")) {
      s.setString(1, hostId);
      s.setString(2, TokenHashes.sha256(token));
      s.executeUpdate();
    }
    return Optional.of(token);
  }

  /** The host a host token belongs to, unless revoked. */
  public Optional<String> host(String hostToken) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT host_id FROM enrolled_hosts WHERE token_sha256 = ? AND revoked_at IS NULL")) {
      s.setString(1, TokenHashes.sha256(hostToken));
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }
}
