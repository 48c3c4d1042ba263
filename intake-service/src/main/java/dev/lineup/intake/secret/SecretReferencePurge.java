package dev.lineup.intake.secret;

import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forgets, every {@code lineup.intake.secret-references-purge-interval}, the secret references that
 * no longer block a delete ({@link Secrets#forgetSettledReferences()}): those of finished
 * activities, and those the ledger never came to know after a day.
 */
@Singleton
final class SecretReferencePurge {

  private static final Logger LOG = LoggerFactory.getLogger(SecretReferencePurge.class);

  private final Secrets secrets;

  SecretReferencePurge(Secrets secrets) {
    this.secrets = secrets;
  }

  @Scheduled(
      fixedDelay = "${lineup.intake.secret-references-purge-interval}",
      initialDelay = "${lineup.intake.secret-references-purge-interval}")
  void forgetSettled() {
    try {
      int forgotten = secrets.forgetSettledReferences();
      LOG.debug("forgot {} settled secret references", forgotten);
    } catch (SQLException e) {
      // The next run tries again; until then the table is merely larger.
      LOG.warn("could not forget the settled secret references", e);
    }
  }
}
