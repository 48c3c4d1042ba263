package dev.lineup.intake.validation;

import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Collects every invalid field of one request, so the caller learns them all at once. */
final class FieldErrors {

  private final List<Problem.FieldError> errors = new ArrayList<>();

  void add(String field, String message) {
    errors.add(new Problem.FieldError(field, message));
  }

  boolean isEmpty() {
    return errors.isEmpty();
  }

  void throwIfAny() {
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
  }

  /** A required, non-blank string field of a JSON object. */
  String text(Map<String, Object> object, String path, String name, int maxLength) {
    Object value = object.get(name);
    if (value == null) {
      add(path + name, "is required");
      return null;
    }
    return checkedText(value, path + name, maxLength);
  }

  /** An optional string field. */
  String optionalText(Map<String, Object> object, String path, String name, int maxLength) {
    Object value = object.get(name);
    return value == null ? null : checkedText(value, path + name, maxLength);
  }

  private String checkedText(Object value, String field, int maxLength) {
    if (!(value instanceof String s) || s.isBlank()) {
      add(field, "must be a non-empty string");
      return null;
    }
    if (s.length() > maxLength) {
      add(field, "must be at most " + maxLength + " characters");
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
