package dev.lineup.gateway.agent;

import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes long-polling agents when a task for their host is recorded, by any gateway instance:
 * recording a delivery sends {@code NOTIFY lineup_tasks, '<host id>'}; this instance listens on a
 * connection of its own and signals the host's waiters within milliseconds.
 *
 * <p>Each host has a version that every signal bumps. A poller reads it before looking for work and
 * waits only while it is unchanged, so a signal between "found nothing" and "start waiting" is
 * never lost.
 */
@Context
public final class TaskSignals implements AutoCloseable {

  private static final String CHANNEL = dev.lineup.gateway.delivery.Deliveries.NOTIFY_CHANNEL;
  private static final Logger LOG = LoggerFactory.getLogger(TaskSignals.class);

  private final Map<String, long[]> versions = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread listener;

  public TaskSignals(
      @Value("${lineup.gateway.database.url}") String url,
      @Value("${lineup.gateway.database.user}") String user,
      @Value("${lineup.gateway.database.password:}") String password) {
    listener = new Thread(() -> listen(url, user, password), "task-signals");
    listener.setDaemon(true);
    listener.start();
  }

  private void listen(String url, String user, String password) {
    while (running.get()) {
      try (Connection c = DriverManager.getConnection(url, user, password);
          Statement s = c.createStatement()) {
        s.execute("LISTEN " + CHANNEL);
        PGConnection pg = c.unwrap(PGConnection.class);
        while (running.get()) {
          PGNotification[] notifications = pg.getNotifications(500);
          if (notifications != null) {
            for (PGNotification n : notifications) {
              signal(n.getParameter());
            }
          }
        }
      } catch (SQLException e) {
        if (running.get()) {
          LOG.warn("task signal listener lost its connection; reconnecting", e);
          // Wake everyone: a signal may have been missed while disconnected.
          versions.keySet().forEach(this::signal);
          sleep();
        }
      }
    }
  }

  /** The host's current version; pass it to {@link #await} after looking for work. */
  public long version(String hostId) {
    long[] v = versions.computeIfAbsent(hostId, h -> new long[1]);
    synchronized (v) {
      return v[0];
    }
  }

  /** Waits until the host is signalled after {@code seen}, or {@code millis} pass. */
  public void await(String hostId, long seen, long millis) throws InterruptedException {
    long[] v = versions.computeIfAbsent(hostId, h -> new long[1]);
    long deadline = System.currentTimeMillis() + millis;
    synchronized (v) {
      while (v[0] == seen) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return;
        }
        v.wait(left);
      }
    }
  }

  void signal(String hostId) {
    long[] v = versions.computeIfAbsent(hostId, h -> new long[1]);
    synchronized (v) {
      v[0]++;
      v.notifyAll();
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @PreDestroy
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    listener.join(2000);
  }
}
