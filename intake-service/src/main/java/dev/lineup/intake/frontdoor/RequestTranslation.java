package dev.lineup.intake.frontdoor;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.intake.api.EnqueueRequest;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
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
        r.getPayload() == null ? null : fields((SpecificRecord) r.getPayload()),
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

  /** A payload record's fields as JSON-like values: strings, numbers, booleans, base64 bytes. */
  static Map<String, Object> fields(SpecificRecord record) {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (Schema.Field field : record.getSchema().getFields()) {
      Object value = record.get(field.pos());
      if (value == null) {
        continue;
      }
      if (value instanceof ByteBuffer bytes) {
        ByteBuffer copy = bytes.duplicate();
        byte[] raw = new byte[copy.remaining()];
        copy.get(raw);
        value = Base64.getEncoder().encodeToString(raw);
      } else if (value instanceof Enum<?> symbol) {
        value = symbol.name().toLowerCase(java.util.Locale.ROOT);
      } else if (value instanceof GenericEnumSymbol<?> symbol) {
        value = symbol.toString().toLowerCase(java.util.Locale.ROOT);
      } else if (value instanceof CharSequence text) {
        value = text.toString();
      }
      fields.put(field.name(), value);
    }
    return fields;
  }
}
