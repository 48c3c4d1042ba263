package dev.lineup.intake.frontdoor;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.intake.api.EnqueueRequest;
import dev.lineup.schemas.PayloadFields;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * An Avro request from {@code lineup.requests} in the shape of an HTTP enqueue body, so both front
 * doors share one validation. Avro payload field names are the JSON ones by design.
 */
final class RequestTranslation {

  private RequestTranslation() {}

  static EnqueueRequest toEnqueue(ActivityRequest r) {
    RetryPolicy retry = r.getRetry();
    Initiator initiator = r.getInitiator();
    return new EnqueueRequest(
        r.getActivityId(),
        r.getType() == null ? null : r.getType().name().toLowerCase(java.util.Locale.ROOT),
        r.getPayload() == null ? null : PayloadFields.of((SpecificRecord) r.getPayload()),
        r.getLane() == null ? null : r.getLane().name(),
        r.getPriority(),
        r.getPreempt(),
        r.getDependsOn() == null ? List.of() : List.copyOf(r.getDependsOn()),
        r.getNotBefore() == null ? null : r.getNotBefore().toString(),
        r.getDedupeKey(),
        retry == null
            ? null
            : new EnqueueRequest.Retry(
                retry.getMaxAttempts(), retry.getBackoffMs(), retry.getBackoffMultiplier()),
        r.getTimeoutMs(),
        initiator == null
            ? null
            : new EnqueueRequest.Initiator(
                initiator.getKind().name(),
                initiator.getActorId(),
                initiator.getEmail(),
                initiator.getName(),
                initiator.getAvatarUrl()));
  }
}
