package dev.lineup.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The baseline: the same workload through a SQL queue built the way the best-known production
 * design does it. One {@code upcoming_activities} table; every enqueue and every result runs
 * "activate next" in its own transaction: delete the finished row, select the host's rows ordered
 * by (activated first, priority desc, created_at asc), mark the first activated if none is.
 * Simulated devices poll for activated rows and answer at once, like Lineup's.
 */
final class SqlQueueRun {

  private final DataSource db;
  private final int hosts;
  private final int perHost;
  private final int workers;
  private final Duration deviceDelay;

  SqlQueueRun(DataSource db, int hosts, int perHost, int workers, Duration deviceDelay) {
    this.db = db;
    this.hosts = hosts;
    this.perHost = perHost;
    this.workers = workers;
    this.deviceDelay = deviceDelay;
  }

  LineupRun.Outcome run() throws Exception {
    try (Connection c = db.getConnection()) {
      c.createStatement().execute("DROP TABLE IF EXISTS upcoming_activities");
      c.createStatement()
          .execute(
              "CREATE TABLE upcoming_activities (id text PRIMARY KEY, host_id text NOT NULL,"
                  + " priority integer NOT NULL DEFAULT 0,"
                  + " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
                  + " activated_at timestamptz, payload bytea)");
      c.createStatement()
          .execute(
              "CREATE INDEX upcoming_host ON upcoming_activities (host_id, priority DESC, created_at)");
      c.createStatement()
          .execute(
              "CREATE INDEX upcoming_activated ON upcoming_activities (host_id) WHERE activated_at IS NOT NULL");
    }
    Map<String, List<String>> expected = new HashMap<>();
    for (int h = 0; h < hosts; h++) {
      List<String> ids = new ArrayList<>();
      for (int k = 0; k < perHost; k++) {
        ids.add(UUID.randomUUID().toString());
      }
      expected.put("sql-host-" + h, ids);
    }
    Map<String, Integer> nextIndex = new ConcurrentHashMap<>();
    Map<String, Long> resultAt = new ConcurrentHashMap<>();
    Histogram handoff = new ConcurrentHistogram(60_000_000_000L, 3);
    List<String> violations = Collections.synchronizedList(new ArrayList<>());
    AtomicLong done = new AtomicLong();
    long total = (long) hosts * perHost;

    long started = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      int worker = w;
      threads.add(
          start(
              "sql-enqueue-" + w,
              () -> {
                for (int k = 0; k < perHost; k++) {
                  for (int h = worker; h < hosts; h += workers) {
                    String host = "sql-host-" + h;
                    // The same priorities as Lineup's workload: the first quarter higher.
                    enqueue(host, expected.get(host).get(k), k < Math.max(1, perHost / 4) ? 10 : 0);
                  }
                }
              }));
      threads.add(
          start(
              "sql-device-" + w,
              () -> {
                // activity id -> when this device is done running it
                Map<String, Long> running = new HashMap<>();
                while (done.get() < total) {
                  List<String[]> activated = activated(worker);
                  long now = System.nanoTime();
                  for (String[] row : activated) {
                    String host = row[1];
                    if (running.containsKey(row[0])) {
                      continue;
                    }
                    int index = nextIndex.getOrDefault(host, 0);
                    if (!expected.get(host).get(index).equals(row[0])) {
                      violations.add(host + ": activated " + row[0] + " out of order");
                    }
                    Long previous = resultAt.remove(host);
                    if (previous != null) {
                      handoff.recordValue(now - previous);
                    }
                    nextIndex.put(host, index + 1);
                    running.put(row[0], now + deviceDelay.toNanos());
                  }
                  boolean finishedAny = false;
                  for (String[] row : activated) {
                    Long due = running.get(row[0]);
                    if (due != null && due <= System.nanoTime()) {
                      resultAt.put(row[1], System.nanoTime());
                      complete(row[1], row[0]);
                      running.remove(row[0]);
                      done.incrementAndGet();
                      finishedAny = true;
                    }
                  }
                  if (!finishedAny) {
                    sleep(1);
                  }
                }
              }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    if (!violations.isEmpty()) {
      throw new IllegalStateException(
          "the SQL baseline broke order: " + violations.subList(0, Math.min(5, violations.size())));
    }
    return new LineupRun.Outcome(total, seconds, handoff, null, null, null, null);
  }

  private void enqueue(String host, String id, int priority) {
    transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO upcoming_activities (id, host_id, priority, payload)"
                      + " VALUES (?, ?, ?, ?)")) {
            s.setString(1, id);
            s.setString(2, host);
            s.setInt(3, priority);
            s.setBytes(4, ("echo " + id).getBytes());
            s.executeUpdate();
          }
          activateNext(c, host);
        });
  }

  private void complete(String host, String id) {
    transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("DELETE FROM upcoming_activities WHERE id = ?")) {
            s.setString(1, id);
            s.executeUpdate();
          }
          activateNext(c, host);
        });
  }

  private static void activateNext(Connection c, String host) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id, activated_at FROM upcoming_activities WHERE host_id = ?"
                + " ORDER BY activated_at IS NULL, priority DESC, created_at LIMIT 1 FOR UPDATE")) {
      s.setString(1, host);
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

  /** Activated rows of this device worker's hosts (hosts are split among workers by number). */
  private List<String[]> activated(int worker) {
    List<String[]> rows = new ArrayList<>();
    transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT id, host_id FROM upcoming_activities WHERE activated_at IS NOT NULL"
                      + " AND mod(substring(host_id from 10)::int, ?) = ?")) {
            s.setInt(1, workers);
            s.setInt(2, worker);
            try (ResultSet rs = s.executeQuery()) {
              while (rs.next()) {
                rows.add(new String[] {rs.getString(1), rs.getString(2)});
              }
            }
          }
        });
    return rows;
  }

  private interface Work {
    void run(Connection c) throws SQLException;
  }

  private void transaction(Work work) {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        work.run(c);
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.start();
    return t;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
