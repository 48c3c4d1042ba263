package dev.lineup.schemas;

import java.nio.charset.StandardCharsets;

/**
 * Rule 16: which text may reach a topic or PostgreSQL, decided here and nowhere else.
 *
 * <p>Any text must be <em>storable</em>: PostgreSQL's {@code text} refuses NUL (U+0000), and a lone
 * surrogate has no UTF-8 form at all (Java's encoder quietly writes {@code ?}, so the value stored
 * would not be the value given). An <em>identifier</em> (host id, activity and dedupe keys, types,
 * installer and profile ids, hashes, URLs) also carries no control characters: they corrupt logs
 * and terminals and make lookups by a pasted value miss.
 *
 * <p>Input from callers that can be told ({@link #isStorable}, {@link #isIdentifier}) is refused
 * with a 400; text from devices (agent output, MDM answers) is made safe instead ({@link #of}):
 * refused characters become U+FFFD and text longer than the limit is cut on a character boundary
 * and marked, so a result is always recordable and never outgrows a Kafka record.
 */
public final class StoredText {

  /** What a cut text ends with, so nobody mistakes it for the whole. */
  public static final String TRUNCATED = "\n[truncated]";

  private static final char REPLACEMENT = '\uFFFD';

  private StoredText() {}

  /** Text PostgreSQL and UTF-8 store as given: no NUL, no lone surrogate. */
  public static boolean isStorable(String text) {
    return clean(text) == text;
  }

  /** An identifier: storable, and no control characters (C0, DEL, C1). */
  public static boolean isIdentifier(String text) {
    return isStorable(text) && text.chars().noneMatch(Character::isISOControl);
  }

  /** {@code text} cleaned and cut to at most {@code maxBytes} bytes of UTF-8; null stays null. */
  public static String of(String text, int maxBytes) {
    return text == null ? null : truncate(clean(text), maxBytes);
  }

  /** {@code text} without NUL or unpaired surrogates; the same instance when it has none. */
  public static String clean(String text) {
    StringBuilder cleaned = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean bad;
      if (c == '\u0000') {
        bad = true;
      } else if (Character.isHighSurrogate(c)) {
        bad = i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1));
        if (!bad) {
          if (cleaned != null) {
            cleaned.append(c).append(text.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        bad = Character.isLowSurrogate(c);
      }
      if (bad && cleaned == null) {
        cleaned = new StringBuilder(text.length()).append(text, 0, i);
      }
      if (cleaned != null) {
        cleaned.append(bad ? REPLACEMENT : c);
      }
    }
    return cleaned == null ? text : cleaned.toString();
  }

  /** {@code text} cut to at most {@code maxBytes} bytes of UTF-8, marked when cut. */
  public static String truncate(String text, int maxBytes) {
    // Most text is short: a char is at most 3 bytes of UTF-8 (4 for a pair, which is 2 chars).
    if ((long) text.length() * 3 <= maxBytes) {
      return text;
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= maxBytes) {
      return text;
    }
    int keep = Math.max(0, maxBytes - TRUNCATED.length());
    // Step back to the start of a character: continuation bytes are 10xxxxxx.
    while (keep > 0 && (bytes[keep] & 0xC0) == 0x80) {
      keep--;
    }
    return new String(bytes, 0, keep, StandardCharsets.UTF_8) + TRUNCATED;
  }
}
