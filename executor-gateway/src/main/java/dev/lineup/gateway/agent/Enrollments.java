package dev.lineup.gateway.agent;

import dev.lineup.service.auth.TokenHashes;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Hosts enrolled with the enroll secret, each with a host token kept as a hash.
 *
 * <p>The enroll secret is fleet-wide, so it proves only that the caller is one of the fleet, not
 * which host. A host id whose token is live therefore enrolls again only with that token (which
 * rotates it); otherwise anyone holding the secret could take over any host's queue. An admin who
 * knows a host lost its token (reinstalled, say) resets its enrollment, and the next enroll wins.
 */
@Singleton
public final class Enrollments {

  /** How an enroll came out. */
  public enum Outcome {
    /** A new host token; the previous one, if any, stopped working. */
    ENROLLED,
    /** The enroll secret is wrong. */
    WRONG_SECRET,
    /** The host holds a live token, and the request did not show it. */
    ALREADY_ENROLLED
  }

  /** An outcome, and the new host token if it is {@link Outcome#ENROLLED}. */
  public record Enrollment(Outcome outcome, @Nullable String hostToken) {}

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
   * Enrolls {@code hostId} if the secret is right and the host has no live token, or if {@code
   * currentToken} is that token (a rotation). In one statement, so two enrolls of a new host race
   * to one winner.
   */
  public Enrollment enroll(String hostId, String secret, @Nullable String currentToken)
      throws SQLException {
    if (secret == null || !TokenHashes.sameHash(enrollSecretHash, TokenHashes.sha256(secret))) {
      return new Enrollment(Outcome.WRONG_SECRET, null);
    }
    String token = TokenHashes.newToken("lineup_host");
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO enrolled_hosts AS e (host_id, token_sha256) VALUES (?, ?)"
                    + " ON CONFLICT (host_id) DO UPDATE SET token_sha256 = EXCLUDED.token_sha256,"
                    + " enrolled_at = now(), revoked_at = NULL"
                    + " WHERE e.revoked_at IS NOT NULL OR e.token_sha256 = ?")) {
      s.setString(1, hostId);
      s.setString(2, TokenHashes.sha256(token));
      // A hash no token has: without a current token, only a reset enrollment is taken over.
      s.setString(3, currentToken == null ? "-" : TokenHashes.sha256(currentToken));
      return s.executeUpdate() == 1
          ? new Enrollment(Outcome.ENROLLED, token)
          : new Enrollment(Outcome.ALREADY_ENROLLED, null);
    }
  }

  /**
   * Revokes the host's token, so the next enroll of the host succeeds; false if the host never
   * enrolled.
   */
  public boolean reset(String hostId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE enrolled_hosts SET revoked_at = COALESCE(revoked_at, now())"
                    + " WHERE host_id = ?")) {
      s.setString(1, hostId);
      return s.executeUpdate() == 1;
    }
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
