package dev.lineup.intake.validation;

/**
 * Which strings may reach a topic or PostgreSQL (rule 16), decided here and nowhere else.
 *
 * <p>Any text must be <em>storable</em>: PostgreSQL's {@code text} refuses NUL (U+0000), so a NUL
 * that got past intake would make the ledger projection, the gateway or the sequencer's readers
 * refuse the record much later, far from the caller who could fix it. A lone surrogate has no UTF-8
 * form at all: Java's encoder quietly writes {@code ?} instead, so the value stored would not be
 * the value accepted (two ids that differ only there would become one).
 *
 * <p>An <em>identifier</em> (host id, activity and dedupe keys, types, installer and profile ids,
 * hashes, URLs) names or finds something, so it also carries no control characters: a newline or an
 * escape sequence in a host id corrupts logs and terminals and makes lookups by a pasted value
 * miss. Free text (a lock message, a person's name, a script) may hold newlines and tabs.
 */
public final class StoredText {

  private StoredText() {}

  /** Text PostgreSQL and UTF-8 store as given: no NUL, no lone surrogate. */
  public static boolean isStorable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\0') {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++; // the pair is one character
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** An identifier: storable, and no control characters (C0, DEL, C1). */
  public static boolean isIdentifier(String text) {
    return isStorable(text) && text.chars().noneMatch(Character::isISOControl);
  }
}
