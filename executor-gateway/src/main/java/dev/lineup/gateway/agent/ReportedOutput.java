package dev.lineup.gateway.agent;

import dev.lineup.schemas.StoredText;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;

/**
 * Output reported by an agent or an MDM server, made safe to publish and to store (rule 16) at the
 * gateway's configured limit, by the rules of {@link StoredText}: both doors take it from here.
 * Such text is whatever a script printed or a device answered: it may be megabytes long, hold NUL
 * (which PostgreSQL's {@code text} refuses) or lone UTF-16 surrogates (which no UTF-8 encoder can
 * write). Kept as is, it would fail the publish or the ledger's write, and the result would be
 * lost.
 */
@Singleton
public final class ReportedOutput {

  /** What ends output that was cut. */
  public static final String TRUNCATED = StoredText.TRUNCATED;

  private final int limitBytes;

  public ReportedOutput(@Value("${lineup.gateway.output-limit-bytes}") int limitBytes) {
    if (limitBytes < 4 * TRUNCATED.length()) {
      throw new IllegalArgumentException(
          "lineup.gateway.output-limit-bytes must be at least " + 4 * TRUNCATED.length());
    }
    this.limitBytes = limitBytes;
  }

  /** The output as it may be published and stored; null stays null. */
  public String keep(String reported) {
    return StoredText.of(reported, limitBytes);
  }
}
