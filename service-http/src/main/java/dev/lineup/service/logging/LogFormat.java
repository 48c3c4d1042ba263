package dev.lineup.service.logging;

import java.util.Locale;

/**
 * The log format {@code LINEUP_LOG_FORMAT} asks for: {@code json} (any case) for one JSON object a
 * line, anything else text. A value that is neither is said once on stderr, and logs as text.
 */
final class LogFormat {

  static final String VARIABLE = "LINEUP_LOG_FORMAT";

  private LogFormat() {}

  /** The format for a variable's value: "json" or "text". */
  static String of(String value) {
    if (value == null || value.isBlank()) {
      return "text";
    }
    String format = value.trim().toLowerCase(Locale.ROOT);
    if (format.equals("json") || format.equals("text")) {
      return format;
    }
    System.err.println(VARIABLE + "=" + value + " is neither text nor json; logging as text");
    return "text";
  }
}
