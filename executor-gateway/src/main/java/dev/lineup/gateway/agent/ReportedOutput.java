package dev.lineup.gateway.agent;

import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;

/**
 * Output reported by an agent or an MDM server, made safe to publish and to store (rule 16), in the
 * one place both doors use. Such text is whatever a script printed or a device answered: it may be
 * megabytes long, hold NUL (which PostgreSQL's {@code text} refuses, so the ledger could never
 * record the result) or lone UTF-16 surrogates (which no UTF-8 encoder can write). Kept as is, it
 * fails the publish (a record over Kafka's limit) or the ledger's write, and the result is lost.
 *
 * <p>So NUL and lone surrogates become U+FFFD, and text over {@code
 * lineup.gateway.output-limit-bytes} (UTF-8) is cut on a character boundary and ends in {@value
 * #TRUNCATED}, the whole within the limit.
 */
@Singleton
public final class ReportedOutput {

  /** What ends output that was cut. */
  public static final String TRUNCATED = "\n[truncated]";

  private static final int REPLACEMENT = 0xFFFD;
  private static final int TRUNCATED_BYTES = TRUNCATED.getBytes(StandardCharsets.UTF_8).length;

  private final int limitBytes;

  public ReportedOutput(@Value("${lineup.gateway.output-limit-bytes}") int limitBytes) {
    if (limitBytes < 4 * TRUNCATED_BYTES) {
      throw new IllegalArgumentException(
          "lineup.gateway.output-limit-bytes must be at least " + 4 * TRUNCATED_BYTES);
    }
    this.limitBytes = limitBytes;
  }

  /** The output as it may be published and stored; null stays null. */
  public String keep(String reported) {
    if (reported == null) {
      return null;
    }
    StringBuilder kept = new StringBuilder(Math.min(reported.length(), limitBytes));
    int bytes = 0;
    // Where the text may be cut if it turns out too long: the marker must fit behind it.
    int cutAt = -1;
    for (int i = 0; i < reported.length(); ) {
      int c = reported.codePointAt(i);
      i += Character.charCount(c);
      if (c == 0 || (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE)) {
        // codePointAt answers a lone surrogate as itself; a valid pair is one code point above.
        c = REPLACEMENT;
      }
      int size = utf8Size(c);
      if (bytes + size > limitBytes - TRUNCATED_BYTES && cutAt < 0) {
        cutAt = kept.length();
      }
      if (bytes + size > limitBytes) {
        kept.setLength(cutAt);
        return kept.append(TRUNCATED).toString();
      }
      kept.appendCodePoint(c);
      bytes += size;
    }
    return kept.toString();
  }

  private static int utf8Size(int codePoint) {
    if (codePoint < 0x80) {
      return 1;
    }
    if (codePoint < 0x800) {
      return 2;
    }
    return codePoint < 0x10000 ? 3 : 4;
  }
}
