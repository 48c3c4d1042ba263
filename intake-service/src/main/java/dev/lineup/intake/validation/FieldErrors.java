package dev.lineup.intake.validation;

import dev.lineup.schemas.StoredText;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Collects every invalid field of one request, so the caller learns them all at once. Every string
 * of a request is read through {@link #text} (free text) or {@link #identifier}, which apply the
 * character rules of {@link StoredText} and a length bound: no string reaches a topic or the
 * database without both.
 */
public final class FieldErrors {

  private final List<Problem.FieldError> errors = new ArrayList<>();

  public void add(String field, String message) {
    errors.add(new Problem.FieldError(field, message));
  }

  public boolean isEmpty() {
    return errors.isEmpty();
  }

  public void throwIfAny() {
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
  }

  /** A required, non-blank free-text field of a JSON object (newlines and tabs allowed). */
  String text(Map<String, Object> object, String path, String name, int maxLength) {
    return required(object, path, name, maxLength, false);
  }

  /** An optional free-text field. */
  String optionalText(Map<String, Object> object, String path, String name, int maxLength) {
    Object value = object.get(name);
    return value == null ? null : checked(value, path + name, maxLength, false);
  }

  /** A required identifier field of a JSON object: no control characters. */
  String identifier(Map<String, Object> object, String path, String name, int maxLength) {
    return required(object, path, name, maxLength, true);
  }

  /** An optional identifier field. */
  String optionalIdentifier(Map<String, Object> object, String path, String name, int maxLength) {
    Object value = object.get(name);
    return value == null ? null : checked(value, path + name, maxLength, true);
  }

  /**
   * {@code value} as free text of {@code field}, or null (and an error) if it is not; null stays
   * null.
   */
  public String text(String field, String value, int maxLength) {
    return value == null ? null : checked(value, field, maxLength, false);
  }

  /** {@code value} as an identifier of {@code field}, or null (and an error); null stays null. */
  public String identifier(String field, String value, int maxLength) {
    return value == null ? null : checked(value, field, maxLength, true);
  }

  private String required(
      Map<String, Object> object, String path, String name, int maxLength, boolean identifier) {
    Object value = object.get(name);
    if (value == null) {
      add(path + name, "is required");
      return null;
    }
    return checked(value, path + name, maxLength, identifier);
  }

  // The messages never quote the value: it may be what cannot be stored, and they travel in
  // problem+json answers and dead-letter headers.
  private String checked(Object value, String field, int maxLength, boolean identifier) {
    if (!(value instanceof String s) || s.isBlank()) {
      add(field, "must be a non-empty string");
      return null;
    }
    if (s.length() > maxLength) {
      add(field, "must be at most " + maxLength + " characters");
      return null;
    }
    if (identifier && !StoredText.isIdentifier(s)) {
      add(field, "must not contain control characters, NUL or unpaired surrogates");
      return null;
    }
    if (!StoredText.isStorable(s)) {
      add(field, "must not contain NUL or unpaired surrogates");
      return null;
    }
    return s;
  }

  Integer optionalInt(Map<String, Object> object, String path, String name) {
    Object value = object.get(name);
    if (value == null) {
      return null;
    }
    if (value instanceof Number n
        && n.doubleValue() == Math.rint(n.doubleValue())
        && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
      return n.intValue();
    }
    add(path + name, "must be a whole number");
    return null;
  }

  boolean optionalBoolean(Map<String, Object> object, String path, String name) {
    Object value = object.get(name);
    if (value == null) {
      return false;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    add(path + name, "must be true or false");
    return false;
  }

  /**
   * A symbol as a door gave it: typed, or text read like {@link #symbol(Class, String, String,
   * boolean)}. A typed {@code UNKNOWN_*} (a symbol newer than this reader) is refused as its text
   * would be.
   */
  <E extends Enum<E>> E symbol(
      Class<E> type, ActivityDraft.Given<E> value, String field, boolean required) {
    if (value instanceof ActivityDraft.Given.Typed<E> typed
        && !typed.value().name().startsWith("UNKNOWN")) {
      return typed.value();
    }
    return symbol(type, value == null ? null : value.text(), field, required);
  }

  /** A lowercase enum-like value, e.g. {@code "apple"} for {@code Platform.APPLE}. */
  <E extends Enum<E>> E symbol(Class<E> type, String value, String field, boolean required) {
    if (value == null) {
      if (required) {
        add(field, "is required");
      }
      return null;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(value) && !constant.name().startsWith("UNKNOWN")) {
        return constant;
      }
    }
    List<String> allowed =
        java.util.Arrays.stream(type.getEnumConstants())
            .map(Enum::name)
            .filter(n -> !n.startsWith("UNKNOWN"))
            .map(n -> n.toLowerCase(java.util.Locale.ROOT))
            .toList();
    add(field, "must be one of " + allowed);
    return null;
  }
}
