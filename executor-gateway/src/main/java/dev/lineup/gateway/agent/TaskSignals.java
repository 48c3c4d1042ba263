package dev.lineup.gateway.agent;

import dev.lineup.service.kafka.Failures;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * never lost. A wait is a future, not a thread: thousands of agents can wait on one gateway.
 */
@Context
public final class TaskSignals implements AutoCloseable {

  private static final String CHANNEL = dev.lineup.gateway.delivery.Deliveries.NOTIFY_CHANNEL;
  private static final Logger LOG = LoggerFactory.getLogger(TaskSignals.class);

  private final Map<String, Host> hosts = new ConcurrentHashMap<>();

  /** One host's signal count and the waits it will end. Guarded by itself. */
  private static final class Host {
    long version;
    final List<CompletableFuture<Void>> waiting = new ArrayList<>();
  }

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
    boolean lost = false;
    while (running.get()) {
      try (Connection c = DriverManager.getConnection(url, user, password);
          Statement s = c.createStatement()) {
        s.execute("LISTEN " + CHANNEL);
        PGConnection pg = c.unwrap(PGConnection.class);
        if (lost) {
          LOG.info("task signal listener reconnected");
          lost = false;
        }
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
          // Once per outage, in one line: the database's own outage is the news, and the pool's
          // users report it too. Long polls still end at their deadline meanwhile.
          if (!lost) {
            LOG.warn(
                "task signal listener lost its database connection, reconnecting every second: {}",
                Failures.describe(e, Failures.MAX_REASON));
            lost = true;
          } else {
            LOG.debug("task signal listener still cannot connect", e);
          }
          // Wake everyone: a signal may have been missed while disconnected.
          hosts.keySet().forEach(this::signal);
          sleep();
        }
      }
    }
  }

  /** The host's current version; pass it to {@link #after} after looking for work. */
  public long version(String hostId) {
    Host h = host(hostId);
    synchronized (h) {
      return h.version;
    }
  }

  /**
   * Completes once the host is signalled after {@code seen}, or after {@code millis} (normally too:
   * the caller looks for work again either way). No thread waits meanwhile; the future is completed
   * on the listener's thread, so callers continue on an executor of their own.
   */
  public CompletableFuture<Void> after(String hostId, long seen, long millis) {
    Host h = host(hostId);
    CompletableFuture<Void> woken = new CompletableFuture<>();
    synchronized (h) {
      if (h.version != seen) {
        return CompletableFuture.completedFuture(null);
      }
      h.waiting.add(woken);
    }
    woken.whenComplete(
        (ignored, error) -> {
          synchronized (h) {
            h.waiting.remove(woken);
          }
        });
    return woken.completeOnTimeout(null, millis, TimeUnit.MILLISECONDS);
  }

  void signal(String hostId) {
    Host h = host(hostId);
    List<CompletableFuture<Void>> woken;
    synchronized (h) {
      h.version++;
      woken = List.copyOf(h.waiting);
    }
    woken.forEach(w -> w.complete(null));
  }

  private Host host(String hostId) {
    return hosts.computeIfAbsent(hostId, id -> new Host());
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
