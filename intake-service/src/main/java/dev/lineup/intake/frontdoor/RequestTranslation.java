package dev.lineup.intake.frontdoor;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.intake.validation.ActivityDraft;
import dev.lineup.intake.validation.ActivityDraft.Given;
import dev.lineup.schemas.PayloadFields;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * An Avro request from {@code lineup.requests} as the validator reads it, so both front doors share
 * one validation: what Avro has typed is given typed, and the payload as its fields, whose Avro
 * names are the JSON ones by design.
 */
final class RequestTranslation {

  private RequestTranslation() {}

  static ActivityDraft toDraft(ActivityRequest r) {
    RetryPolicy retry = r.getRetry();
    Initiator initiator = r.getInitiator();
    return new ActivityDraft(
        r.getActivityId(),
        Given.typed(r.getType()),
        r.getPayload() == null ? null : PayloadFields.of((SpecificRecord) r.getPayload()),
        Given.typed(r.getLane()),
        r.getPriority(),
        r.getDependsOn() == null ? List.of() : List.copyOf(r.getDependsOn()),
        Given.typed(r.getNotBefore()),
        r.getDedupeKey(),
        retry == null
            ? null
            : new ActivityDraft.Retry(
                retry.getMaxAttempts(), retry.getBackoffMs(), retry.getBackoffMultiplier()),
        r.getTimeoutMs(),
        initiator == null
            ? null
            : new ActivityDraft.Initiator(
                Given.typed(initiator.getKind()),
                initiator.getActorId(),
                initiator.getEmail(),
                initiator.getName(),
                initiator.getAvatarUrl()));
  }
}
