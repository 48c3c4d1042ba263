package dev.lineup.intake.admission;

import dev.lineup.avro.Activity;
import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.publish.CommandPublisher;
import dev.lineup.schemas.Commands;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.util.List;

/**
 * One validated activity into its host's queue, as every single-activity door does it: claim its id
 * for its host (rule 17), publish the enqueue command, and write the ledger's REQUESTED row. A
 * claim whose publish fails is abandoned, so the same request may be sent again.
 */
@Singleton
public final class Admission {

  /** What became of an admitted activity. */
  public enum Outcome {
    /** Published now. */
    ENQUEUED,
    /** Enqueued before, within the idempotency window, by another origin: nothing was sent. */
    RESENT
  }

  private final ActivityClaims claims;
  private final CommandPublisher publisher;
  private final Ledger ledger;
  private final SecretReferencing secrets;

  public Admission(
      ActivityClaims claims, CommandPublisher publisher, Ledger ledger, SecretReferencing secrets) {
    this.claims = claims;
    this.publisher = publisher;
    this.ledger = ledger;
    this.secrets = secrets;
  }

  /**
   * Claims, publishes and records {@code activity}. {@code origin} names who sends it: the same
   * origin claiming again (a retry of its own that may or may not have got through) publishes
   * again, which the sequencer takes as a duplicate (rule 12); another origin's resend is {@link
   * Outcome#RESENT}. A 409 ({@code ID_CONFLICT}) if the id belongs to another host.
   */
  public Outcome enqueue(Activity activity, boolean preempt, String origin) throws SQLException {
    String id = activity.getActivityId();
    ActivityClaims.Claim claim = claims.claim(id, activity.getHostId(), origin);
    switch (claim.outcome()) {
      case CONFLICT -> throw ActivityClaims.idConflict("activity_id", id);
      case RESENT -> {
        return Outcome.RESENT;
      }
      case ADMITTED -> {}
    }
    try {
      java.util.Set<String> deleted = secrets.record(List.of(activity));
      if (!deleted.isEmpty()) {
        throw SecretReferencing.deleted(deleted);
      }
      publisher.publish(Commands.enqueue(activity, preempt));
    } catch (RuntimeException | SQLException e) {
      claims.abandon(List.of(id), origin);
      throw e;
    }
    ledger.recordRequested(activity);
    return Outcome.ENQUEUED;
  }
}
