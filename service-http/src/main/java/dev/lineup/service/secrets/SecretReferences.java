package dev.lineup.service.secrets;

import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How scripts name secrets: {@code $LINEUP_SECRET_<NAME>} or {@code ${LINEUP_SECRET_<NAME>}}, where
 * NAME is upper-case letters, digits and underscores. Finding them, putting the values in (at
 * delivery, into the body handed to the task's holder only) and taking the values out of reported
 * output ({@code ***}) are said once, here.
 */
public final class SecretReferences {

  /** A secret's name: what {@code PUT /v1/secrets/{name}} takes. */
  public static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");

  private static final Pattern REFERENCE =
      Pattern.compile(
          "\\$\\{LINEUP_SECRET_([A-Z][A-Z0-9_]{0,63})}|\\$LINEUP_SECRET_([A-Z][A-Z0-9_]{0,63})");

  public static final String MASK = "***";

  private SecretReferences() {}

  /** The names {@code text} references, sorted. */
  public static Set<String> in(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = REFERENCE.matcher(text);
    while (m.find()) {
      names.add(m.group(1) != null ? m.group(1) : m.group(2));
    }
    return names;
  }

  /** {@code text} with every reference whose name {@code values} has replaced by its value. */
  public static String resolve(String text, Map<String, String> values) {
    Matcher m = REFERENCE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String value = values.get(name);
      m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * {@code output} with every occurrence of every value replaced by {@code ***}, longest value
   * first (so a value inside another is not left half masked). Empty values mask nothing.
   */
  public static String scrub(String output, Iterable<String> values) {
    if (output == null) {
      return null;
    }
    Set<String> longestFirst =
        new TreeSet<>(Comparator.comparingInt(String::length).reversed().thenComparing(v -> v));
    values.forEach(
        v -> {
          if (v != null && !v.isEmpty()) {
            longestFirst.add(v);
          }
        });
    String scrubbed = output;
    for (String value : longestFirst) {
      scrubbed = scrubbed.replace(value, MASK);
    }
    return scrubbed;
  }
}
