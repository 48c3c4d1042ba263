package dev.lineup.service.logging;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;

/**
 * Which appender the services' {@code logback.xml} logs through, from {@code LINEUP_LOG_FORMAT}:
 * {@code json} (any case) for one JSON object a line, anything else text. A value that is neither
 * is said once on stderr rather than logging nothing: logback would otherwise look for an appender
 * of that name, find none, and stay silent for the life of the process.
 */
public final class LogFormat extends PropertyDefinerBase {

  static final String VARIABLE = "LINEUP_LOG_FORMAT";

  @Override
  public String getPropertyValue() {
    return of(System.getenv(VARIABLE));
  }

  /** The appender's name for a variable's value. */
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
