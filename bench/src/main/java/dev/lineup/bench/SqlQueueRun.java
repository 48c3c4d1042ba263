package dev.lineup.bench;

import java.sql.Connection;
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
 * Drives a {@link SqlQueue} with the same workload as Lineup's: enqueue threads write each host's
 * activities in order (the first quarter at a higher priority), and simulated devices poll for
 * activated ones and answer at once, like Lineup's. Checks that every host's activities are
 * activated in the order written, and measures hand-off (a device's result to the same host's next
 * activation seen by a device).
 */
final class SqlQueueRun {

  private final DataSource db;
  private final SqlQueue queue;
  private final int hosts;
  private final int perHost;
  private final int workers;
  private final Duration deviceDelay;

  SqlQueueRun(
      DataSource db, SqlQueue queue, int hosts, int perHost, int workers, Duration deviceDelay) {
    this.db = db;
    this.queue = queue;
    this.hosts = hosts;
    this.perHost = perHost;
    this.workers = workers;
    this.deviceDelay = deviceDelay;
  }

  LineupRun.Outcome run() throws Exception {
    transaction(queue::create);
    Map<String, List<String>> expected = new HashMap<>();
    for (int h = 0; h < hosts; h++) {
      List<String> ids = new ArrayList<>();
      for (int k = 0; k < perHost; k++) {
        ids.add(UUID.randomUUID().toString());
      }
      expected.put(Integer.toString(h), ids);
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
              queue.name() + "-enqueue-" + w,
              () -> {
                for (int k = 0; k < perHost; k++) {
                  for (int h = worker; h < hosts; h += workers) {
                    int host = h;
                    int index = k;
                    String id = expected.get(Integer.toString(h)).get(k);
                    // The same priorities as Lineup's workload: the first quarter higher.
                    int priority = k < Math.max(1, perHost / 4) ? 10 : 0;
                    transaction(c -> queue.enqueue(c, host, id, index, priority));
                  }
                }
              }));
      threads.add(
          start(
              queue.name() + "-device-" + w,
              () -> {
                // activity id -> when this device is done running it
                Map<String, Long> running = new HashMap<>();
                while (done.get() < total) {
                  List<String[]> activated = new ArrayList<>();
                  transaction(c -> activated.addAll(queue.activated(c, workers, worker)));
                  long now = System.nanoTime();
                  for (String[] row : activated) {
                    String host = row[1];
                    if (running.containsKey(row[0])) {
                      continue;
                    }
                    int index = nextIndex.getOrDefault(host, 0);
                    if (!expected.get(host).get(index).equals(row[0])) {
                      violations.add("host " + host + ": activated " + row[0] + " out of order");
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
                      int host = Integer.parseInt(row[1]);
                      transaction(c -> queue.complete(c, host, row[0], row[2]));
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
          queue.name() + " broke order: " + violations.subList(0, Math.min(5, violations.size())));
    }
    return new LineupRun.Outcome(total, seconds, handoff, null, null, null, null);
  }

  private interface Work {
    void run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction; one PostgreSQL aborted as a deadlock or a serialization
   * failure runs again, as an application on such a queue would (a few times, then it fails).
   */
  private void transaction(Work work) {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = db.getConnection()) {
        c.setAutoCommit(false);
        try {
          work.run(c);
          c.commit();
          return;
        } catch (SQLException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        boolean retryable = "40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState());
        if (!retryable || attempt == 5) {
          throw new IllegalStateException(e);
        }
      }
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
