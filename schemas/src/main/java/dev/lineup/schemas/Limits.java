package dev.lineup.schemas;

import java.time.Duration;

/**
 * The bounds of rule 15, shared by every door that takes them in: intake refuses values outside
 * them, and the services behind it clamp to them, since a record on a topic may come from a writer
 * other than intake.
 */
public final class Limits {

  /** A lease ({@code timeout_ms}, a heartbeat's extension): 1 second to 7 days. */
  public static final Duration MIN_LEASE = Duration.ofSeconds(1);

  public static final Duration MAX_LEASE = Duration.ofDays(7);

  /** The longest wait before a retry (a {@code retry.backoff_ms}, and what it grows to). */
  public static final Duration MAX_BACKOFF = Duration.ofDays(1);

  /** A host id's length, in characters. */
  public static final int HOST_ID_CHARACTERS = 255;

  /** Device output kept per result, unless a service is configured lower (rule 16). */
  public static final int OUTPUT_BYTES = 64 * 1024;

  private Limits() {}

  /**
   * A host id of rule 15: 1 to {@link #HOST_ID_CHARACTERS} characters, an identifier ({@link
   * StoredText#isIdentifier}: no control characters, nothing PostgreSQL cannot store), and not the
   * broadcast key. Every door that takes a host id checks it with this.
   */
  public static boolean isHostId(String hostId) {
    return hostId != null
        && !hostId.isEmpty()
        && hostId.length() <= HOST_ID_CHARACTERS
        && !hostId.equals(Topics.BROADCAST_KEY)
        && StoredText.isIdentifier(hostId);
  }

  /** {@code millis} within {@link #MIN_LEASE}..{@link #MAX_LEASE}. */
  public static long lease(long millis) {
    return Math.max(MIN_LEASE.toMillis(), Math.min(MAX_LEASE.toMillis(), millis));
  }
}
