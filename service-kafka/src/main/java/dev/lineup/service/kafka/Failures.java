package dev.lineup.service.kafka;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Rule 14's two failure classes. A <em>transient</em> failure is the infrastructure's (the broker
 * or the database unreachable, a connection dropped, a transaction that lost a race): the same
 * record will succeed later, so it is retried and nothing is skipped. Everything else is
 * <em>deterministic</em> (a record that cannot be decoded, a value the database refuses, a rule
 * broken, a bug): retrying the same record can only fail again, so it goes to a dead-letter topic.
 *
 * <p>Misfiling a deterministic failure as transient would retry one record forever, which is what
 * rule 14 forbids; so only failures known to pass are transient, and the unknown is deterministic.
 */
public final class Failures {

  /**
   * Thrown by code that knows its failure will pass (an MDM server answering 503, say), so the loop
   * retries instead of dead-lettering.
   */
  public static final class TransientFailure extends Exception {
    private final boolean announced;

    public TransientFailure(String message, Throwable cause) {
      this(message, cause, false);
    }

    /**
     * @param announced true if the thrower has logged the outage itself (once, when it began), so a
     *     consumer retrying it does not log it again
     */
    public TransientFailure(String message, Throwable cause, boolean announced) {
      super(message, cause);
      this.announced = announced;
    }

    /** The thrower logged the outage already. */
    public boolean announced() {
      return announced;
    }
  }

  /** The first pause after a transient failure; each failure after it doubles the pause. */
  public static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

  /** The longest pause between retries: a loop is back within this long of its outage's end. */
  public static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  /** How much of a failure's description a dead letter or a health answer carries. */
  public static final int MAX_REASON = 1_000;

  private Failures() {}

  /** The pause after {@code backoff}: twice it, at most {@link #MAX_BACKOFF}. */
  public static Duration nextBackoff(Duration backoff) {
    Duration doubled = backoff.multipliedBy(2);
    return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
  }

  /** True if {@code failure}, or anything in its cause chain, is known to pass by itself. */
  public static boolean isTransient(Throwable failure) {
    Set<Throwable> seen = new HashSet<>();
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (isTransientItself(t)) {
        return true;
      }
      // A failure while cleaning up after the first (a rollback on a dead connection) is
      // attached as suppressed, and may be the only one that says what happened.
      for (Throwable suppressed : t.getSuppressed()) {
        if (seen.add(suppressed) && isTransientItself(suppressed)) {
          return true;
        }
      }
      if (t instanceof SQLException sql) {
        for (SQLException next = sql.getNextException();
            next != null && seen.add(next);
            next = next.getNextException()) {
          if (isTransientItself(next)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static boolean isTransientItself(Throwable t) {
    if (t instanceof TransientFailure
        || t instanceof InterruptedException
        || t instanceof RetriableException
        || t instanceof InterruptException
        || t instanceof org.apache.kafka.common.errors.TimeoutException
        || t instanceof java.util.concurrent.TimeoutException
        || t instanceof SQLTransientException
        || t instanceof SQLRecoverableException) {
      return true;
    }
    if (t instanceof SQLException sql) {
      // A pooled connection the database dropped answers every later call with a bare "Connection
      // is closed" and no SQLSTATE (HikariCP); that is the outage too, not the record's fault.
      return sql.getSQLState() != null ? transientSqlState(sql.getSQLState()) : isConnection(sql);
    }
    // A socket that would not connect or answer; a malformed answer is not an IOException's
    // business here, and an IOException from decoding is wrapped by the decoder.
    return t instanceof java.net.ConnectException
        || t instanceof java.net.SocketException
        || t instanceof java.net.SocketTimeoutException
        || t instanceof java.net.http.HttpTimeoutException
        || (t instanceof IOException && t.getClass() == IOException.class && isConnection(t));
  }

  /**
   * PostgreSQL's classes of errors that pass by themselves: 08 connection, 40 serialization failure
   * and deadlock, 53 insufficient resources, 57 operator intervention (shutdown, crash recovery),
   * 58 system errors. Data (22) and integrity (23) errors are the record's own.
   */
  private static boolean transientSqlState(String state) {
    return state.startsWith("08")
        || state.startsWith("40")
        || state.startsWith("53")
        || state.startsWith("57")
        || state.startsWith("58");
  }

  private static boolean isConnection(Throwable t) {
    String message = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
    return message.contains("connect") || message.contains("closed") || message.contains("reset");
  }

  /** One line for an operator: what failed and why, never longer than {@code max} characters. */
  public static String describe(Throwable failure, int max) {
    // A batch statement's own message repeats the SQL; the database's answer is the next one.
    while (failure instanceof SQLException sql && sql.getNextException() != null) {
      failure = sql.getNextException();
    }
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String text = failure.getClass().getSimpleName() + ": " + failure.getMessage();
    if (root != failure) {
      text += " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
    return text.length() <= max ? text : text.substring(0, max - 3) + "...";
  }
}
