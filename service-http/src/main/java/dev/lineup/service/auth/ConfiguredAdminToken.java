package dev.lineup.service.auth;

import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.util.Optional;

/**
 * The admin token given to a service in its configuration ({@code lineup.admin-token}, from the
 * {@code LINEUP_ADMIN_TOKEN} variable or the devstack's {@code --admin-token}). Only its hash is
 * kept in memory after start-up.
 */
@Singleton
@Requires(property = "lineup.admin-token")
public final class ConfiguredAdminToken implements TokenAuthority {

  private final String hash;

  public ConfiguredAdminToken(@Value("${lineup.admin-token}") String adminToken) {
    if (adminToken.length() < 16) {
      throw new IllegalArgumentException("lineup.admin-token must be at least 16 characters");
    }
    this.hash = TokenHashes.sha256(adminToken);
  }

  @Override
  public Optional<Caller> authenticate(String bearerToken) {
    return TokenHashes.sameHash(hash, TokenHashes.sha256(bearerToken))
        ? Optional.of(new Caller("admin", Role.ADMIN))
        : Optional.empty();
  }
}
