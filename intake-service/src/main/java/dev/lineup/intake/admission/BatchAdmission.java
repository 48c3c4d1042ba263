package dev.lineup.intake.admission;

import dev.lineup.avro.Activity;
import dev.lineup.avro.Command;
import dev.lineup.intake.ledger.BatchView;
import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.publish.BatchPublisher;
import dev.lineup.schemas.Commands;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A validated batch into its hosts' queues, all or nothing, as {@code POST /v1/batches} and a
 * workflow run do it: every id claimed in one step (rule 17), every enqueue published in one Kafka
 * transaction, the batch and its REQUESTED rows recorded in one database transaction. The same
 * batch sent again within the idempotency window answers the batch it made.
 */
@Singleton
public final class BatchAdmission {

  private final BatchPublisher publisher;
  private final Ledger ledger;
  private final ActivityClaims claims;
  private final SecretReferencing secrets;

  public BatchAdmission(
      BatchPublisher publisher, Ledger ledger, ActivityClaims claims, SecretReferencing secrets) {
    this.publisher = publisher;
    this.ledger = ledger;
    this.claims = claims;
    this.secrets = secrets;
  }

  /**
   * Admits {@code activities} (each already validated and carrying {@code batchId}) as one batch;
   * {@code preempts} says, in the same order, which preempt. A 409 naming {@code
   * activities[i].activity_id} if ids belong to other hosts or were enqueued before.
   */
  public BatchView admit(String batchId, List<Activity> activities, List<Boolean> preempts)
      throws Exception {
    return admit(batchId, activities, preempts, "batch:" + batchId);
  }

  /**
   * The same, claiming as {@code origin}: a caller that names its batch (a workflow run's {@code
   * run_id}) gives each request an origin of its own, so a resend is answered with the batch it
   * made and nothing is sent twice.
   */
  public BatchView admit(
      String batchId, List<Activity> activities, List<Boolean> preempts, String origin)
      throws Exception {
    List<ActivityClaims.Claim> claimed =
        claims.claimAll(
            activities.stream()
                .map(a -> new ActivityClaims.Wanted(a.getActivityId(), a.getHostId()))
                .toList(),
            origin,
            batchId);
    Optional<BatchView> resent = refused(claimed);
    if (resent.isPresent()) {
      return resent.get();
    }
    List<Command> commands = new ArrayList<>();
    for (int i = 0; i < activities.size(); i++) {
      // Preempt as a single enqueue would: at its place in the batch, on its host.
      commands.add(Commands.enqueue(activities.get(i), preempts.get(i)));
    }
    try {
      Set<String> deleted = secrets.record(activities);
      if (!deleted.isEmpty()) {
        throw SecretReferencing.deleted(deleted);
      }
      publisher.publish(commands);
    } catch (RuntimeException | java.sql.SQLException e) {
      claims.abandon(activities.stream().map(Activity::getActivityId).toList(), origin);
      throw e;
    }
    ledger.recordBatch(batchId, activities);
    return ledger.batch(batchId).orElseThrow();
  }

  /**
   * What to answer when not every id was admitted (then none was claimed): a 409 naming the ids of
   * other hosts (ID_CONFLICT) or those enqueued before; or, for the whole batch sent again within
   * the idempotency window, the batch it made. Empty when every id was admitted.
   */
  private Optional<BatchView> refused(List<ActivityClaims.Claim> claimed) throws Exception {
    List<Problem.FieldError> conflicts = new ArrayList<>();
    List<Problem.FieldError> resent = new ArrayList<>();
    Set<String> earlierBatches = new HashSet<>();
    for (int i = 0; i < claimed.size(); i++) {
      ActivityClaims.Claim claim = claimed.get(i);
      String field = "activities[" + i + "].activity_id";
      switch (claim.outcome()) {
        case CONFLICT -> conflicts.add(new Problem.FieldError(field, "belongs to another host"));
        case RESENT -> {
          resent.add(new Problem.FieldError(field, "was enqueued before"));
          earlierBatches.add(String.valueOf(claim.batchId()));
        }
        case ADMITTED -> {}
      }
    }
    if (!conflicts.isEmpty()) {
      throw ApiException.conflict(
          ActivityClaims.ID_CONFLICT,
          conflicts.size()
              + " activity id(s) belong to other hosts: an id is never reused across hosts;"
              + " nothing was enqueued",
          conflicts);
    }
    if (resent.isEmpty()) {
      return Optional.empty();
    }
    if (resent.size() == claimed.size() && earlierBatches.size() == 1) {
      Optional<BatchView> earlier = ledger.batch(earlierBatches.iterator().next());
      if (earlier.isPresent() && earlier.get().size() == claimed.size()) {
        return earlier;
      }
    }
    throw ApiException.conflict(
        "DUPLICATE",
        resent.size()
            + " activity id(s) were enqueued before, within the idempotency window, and a batch is"
            + " all or nothing: send the batch again whole, or without them; nothing was enqueued",
        resent);
  }
}
