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
   * A {@code timestamptz[]} of these instants (nulls kept), each sent as ISO-8601 in UTC: an array
   * of {@link java.sql.Timestamp} would go as local times of the JVM's zone, one of them ambiguous
   * each autumn.
   */
  public static Array timestamps(Connection c, Instant[] instants) throws SQLException {
    String[] iso = new String[instants.length];
    for (int i = 0; i < instants.length; i++) {
      iso[i] = instants[i] == null ? null : instants[i].toString();
    }
    return c.createArrayOf("timestamptz", iso);
  }
}
