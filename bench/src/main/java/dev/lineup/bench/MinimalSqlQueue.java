package dev.lineup.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The smallest design that keeps the contract's order: one {@code upcoming_activities} table; every
 * enqueue and every result runs "activate next" in its transaction: delete the finished row, select
 * the host's rows ordered by (activated first, priority desc, created_at asc), mark the first
 * activated if none is.
 */
final class MinimalSqlQueue implements SqlQueue {

  @Override
  public String name() {
    return "sql-baseline";
  }

  @Override
  public void create(Connection c) throws SQLException {
    try (var s = c.createStatement()) {
      // CASCADE: the Fleet-style queue's tables, left by an earlier run in the same database, refer
      // to a table of this name.
      s.execute("DROP TABLE IF EXISTS upcoming_activities CASCADE");
      s.execute(
          "CREATE TABLE upcoming_activities (id text PRIMARY KEY, host_id integer NOT NULL,"
              + " priority integer NOT NULL DEFAULT 0,"
              + " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
              + " activated_at timestamptz, payload bytea)");
      s.execute(
          "CREATE INDEX upcoming_host ON upcoming_activities (host_id, priority DESC, created_at)");
      s.execute(
          "CREATE INDEX upcoming_activated ON upcoming_activities (host_id)"
              + " WHERE activated_at IS NOT NULL");
    }
  }

  @Override
  public void enqueue(Connection c, int host, String id, int k, int priority) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO upcoming_activities (id, host_id, priority, payload) VALUES (?, ?, ?, ?)")) {
      s.setString(1, id);
      s.setInt(2, host);
      s.setInt(3, priority);
      s.setBytes(4, ("echo " + id).getBytes());
      s.executeUpdate();
    }
    activateNext(c, host);
  }

  @Override
  public void complete(Connection c, int host, String id, String kind) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("DELETE FROM upcoming_activities WHERE id = ?")) {
      s.setString(1, id);
      s.executeUpdate();
    }
    activateNext(c, host);
  }

  private static void activateNext(Connection c, int host) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id, activated_at FROM upcoming_activities WHERE host_id = ?"
                + " ORDER BY activated_at IS NULL, priority DESC, created_at LIMIT 1 FOR UPDATE")) {
      s.setInt(1, host);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next() && rs.getTimestamp(2) == null) {
          try (PreparedStatement a =
              c.prepareStatement(
                  "UPDATE upcoming_activities SET activated_at = clock_timestamp() WHERE id = ?")) {
            a.setString(1, rs.getString(1));
            a.executeUpdate();
          }
        }
      }
    }
  }

  @Override
  public List<String[]> activated(Connection c, int workers, int worker) throws SQLException {
    List<String[]> rows = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id, host_id FROM upcoming_activities WHERE activated_at IS NOT NULL"
                + " AND mod(host_id, ?) = ?")) {
      s.setInt(1, workers);
      s.setInt(2, worker);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          rows.add(new String[] {rs.getString(1), Integer.toString(rs.getInt(2)), null});
        }
      }
    }
    return rows;
  }
}
