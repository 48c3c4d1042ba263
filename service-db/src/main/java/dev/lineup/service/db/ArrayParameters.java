package dev.lineup.service.db;

import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Arrays bound to one statement that writes many rows ({@code INSERT ... SELECT FROM unnest(?,
 * ?)}): PostgreSQL then plans and runs it once for all of them, where a JDBC batch runs a statement
 * per row.
 */
public final class ArrayParameters {

  private ArrayParameters() {}

  /**
   * A {@code bigint[]} of these instants as microseconds since the epoch (nulls kept), which the
   * driver sends in binary; {@link #timestamptz} turns an element back into a {@code timestamptz}
   * in SQL. Sent as text, each instant was formatted as ISO-8601 here and parsed again by
   * PostgreSQL, about a quarter of the ledger projection's thread (docs/BENCHMARKS.md, finding 51).
   * PostgreSQL keeps microseconds, so nothing it can store is lost; and, unlike an array of {@link
   * java.sql.Timestamp}, which goes as local times of the JVM's zone, no zone is involved.
   */
  public static Array epochMicros(Connection c, Instant[] instants) throws SQLException {
    Long[] micros = new Long[instants.length];
    for (int i = 0; i < instants.length; i++) {
      micros[i] = instants[i] == null ? null : micros(instants[i]);
    }
    return c.createArrayOf("bigint", micros);
  }

  private static long micros(Instant instant) throws SQLException {
    try {
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    } catch (ArithmeticException e) {
      // Far past what PostgreSQL stores (years 4713 BC to 294276): refused as it refuses one.
      throw new SQLException("timestamp out of range: " + instant, "22008", e);
    }
  }

  /**
   * The SQL for the {@code timestamptz} of {@code micros}, an element of an {@link #epochMicros}
   * array (null stays null), counted from the epoch with no time zone involved. PostgreSQL
   * multiplies the interval by the count as a double, which holds every microsecond count exactly
   * up to 2^53 (the year 2255).
   */
  public static String timestamptz(String micros) {
    return "(timestamptz 'epoch' + " + micros + " * interval '1 microsecond')";
  }
}
