package dev.lineup.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server (zonky's packaged binaries) run from this JVM, its data under the given
 * directory. A restart on the same directory keeps every row; a server orphaned by a {@code kill
 * -9} of the previous JVM is stopped first, since it would hold the data directory's lock.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;
  private boolean closed;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts PostgreSQL on {@code port} (0 for a free one) with its data under {@code dataDir}, and
   * stops it when the JVM exits if nobody closed it before.
   */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    return start(dataDir, port, true);
  }

  /**
   * {@link #start(Path, int)}, for an owner that closes the server itself at exit ({@code
   * stopAtExit} false): after the services that use it, so they stop without losing their
   * connections first. The JVM runs its shutdown hooks at once, in no order, so one of the server's
   * own would stop it under them.
   */
  public static EmbeddedDatabase start(Path dataDir, int port, boolean stopAtExit)
      throws IOException {
    Path pgData = dataDir.toAbsolutePath().resolve("postgres");
    Files.createDirectories(pgData);
    stopOrphanedServer(pgData);
    EmbeddedPostgres postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(pgData)
            .setCleanDataDirectory(false)
            .setPort(FreePorts.orFree(port))
            .setPGStartupWait(Duration.ofSeconds(30))
            .setServerConfig("max_connections", "200")
            .setServerConfig("fsync", "on")
            .setRegisterShutdownHook(stopAtExit)
            .start();
    LOG.info("PostgreSQL up on port {} with its data in {}", postgres.getPort(), pgData);
    return new EmbeddedDatabase(postgres);
  }

  private static void stopOrphanedServer(Path pgData) throws IOException {
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String firstLine = Files.readAllLines(pidFile).stream().findFirst().orElse("").strip();
    Optional<ProcessHandle> orphan;
    try {
      orphan = ProcessHandle.of(Long.parseLong(firstLine));
    } catch (NumberFormatException e) {
      return;
    }
    orphan
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
        .ifPresent(
            p -> {
              LOG.warn("stopping PostgreSQL (pid {}) left running by an earlier run", p.pid());
              fastShutdown(p);
              try {
                p.onExit().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join();
              } catch (java.util.concurrent.CompletionException e) {
                throw new IllegalStateException(
                    "PostgreSQL (pid "
                        + p.pid()
                        + ") left running by an earlier run on "
                        + pgData
                        + " did not stop within 30 s; stop it, then start again",
                    e);
              }
            });
  }

  /**
   * SIGINT, PostgreSQL's fast shutdown: it disconnects its clients and stops. The earlier run's
   * services may still be running and holding connections (their infrastructure was killed, not
   * they), and SIGTERM's smart shutdown would wait for every one of them to go.
   */
  private static void fastShutdown(ProcessHandle postmaster) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-INT", Long.toString(postmaster.pid()))
              .redirectErrorStream(true)
              .start();
      if (kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && kill.exitValue() == 0) {
        return;
      }
    } catch (IOException e) {
      // no kill command: fall back to SIGTERM below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    postmaster.destroy();
  }

  public int port() {
    return postgres.getPort();
  }

  /** A JDBC URL for {@code database} as the superuser {@code postgres} (no password, loopback). */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
  }

  public String user() {
    return "postgres";
  }

  /** Creates {@code database} unless it exists; each service owns one. */
  public void ensureDatabase(String database) throws SQLException {
    DataSource admin = postgres.getPostgresDatabase();
    try (Connection c = admin.getConnection();
        var exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, database);
      if (exists.executeQuery().next()) {
        return;
      }
      try (var create = c.createStatement()) {
        // The name comes from our own configuration, never from a request.
        create.execute("CREATE DATABASE \"" + database.replace("\"", "") + "\"");
      }
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    postgres.close();
  }
}
