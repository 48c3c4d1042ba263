package dev.lineup.intake.validation;

import dev.lineup.avro.ActivityType;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An activity as a front door received it, before any rule is applied: what {@link
 * ActivityValidator} takes from the HTTP API (built from the JSON body) and from {@code
 * lineup.requests} (built from the Avro request) alike. Any field may be absent (null) or invalid,
 * so that validation can name every invalid field at once.
 *
 * <p>A door gives a value typed when it has it typed (Avro's enums and times), and as text when it
 * has only text (JSON); the validator reads text with the same rules and messages either way. The
 * payload is its fields by their JSON names ({@link dev.lineup.schemas.PayloadFields} for an Avro
 * payload): every payload rule is stated per field name, and must read the same at both doors, also
 * for a payload record that does not match its type.
 *
 * @param payload the payload's fields; null if none was given
 * @param dependsOn null or empty if none
 */
public record ActivityDraft(
    String activityId,
    Given<ActivityType> type,
    Map<String, Object> payload,
    Given<Lane> lane,
    Integer priority,
    List<String> dependsOn,
    Given<Instant> notBefore,
    String dedupeKey,
    Retry retry,
    Long timeoutMs,
    Initiator initiator) {

  /** {@code retry}: each field null for its default. */
  public record Retry(Integer maxAttempts, Long backoffMs, Double backoffMultiplier) {}

  /** {@code initiator}: who asked; without it, the system did. */
  public record Initiator(
      Given<InitiatorKind> kind, String actorId, String email, String name, String avatarUrl) {}

  /** A value as a door gave it: typed already, or text still to be read. */
  public sealed interface Given<T> {

    /** The value, as the contract spells it in requests, for reading or for an error message. */
    String text();

    /** A value the door already has typed; null stays null (absent). */
    static <T> Given<T> typed(T value) {
      return value == null ? null : new Typed<>(value);
    }

    /** Text the validator still has to read; null stays null (absent). */
    static <T> Given<T> text(String text) {
      return text == null ? null : new Text<>(text);
    }

    record Typed<T>(T value) implements Given<T> {
      @Override
      public String text() {
        return value.toString();
      }
    }

    record Text<T>(String text) implements Given<T> {}
  }
}
