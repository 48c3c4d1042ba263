package dev.lineup.intake.ledger;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.embedded.EmbeddedDatabase;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * Measures how many lifecycle events per second the ledger projection writes, in batches the size
 * the projection polls (2000), on an embedded PostgreSQL. A measurement, not a test:
 *
 * <pre>
 * mvn -q -pl intake-service -am test-compile
 * java -cp intake-service/target/test-classes:intake-service/target/classes:$(mvn -q -pl intake-service \
 *   dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout) \
 *   dev.lineup.intake.ledger.LedgerThroughput 200000 [spread]
 * </pre>
 */
public final class LedgerThroughput {

  private LedgerThroughput() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    // "spread": each batch holds one event of each of its activities (all queued, then all
    // released, then all succeeded), so nothing folds; otherwise an activity's three events are
    // side by side and fold into one write, as when the ledger catches up after a lag.
    boolean spread = args.length > 1 && args[1].equals("spread");
    int batch = 2000;
    try (EmbeddedDatabase database =
            EmbeddedDatabase.start(Files.createTempDirectory("ledger-bench"), 0);
        HikariDataSource db = new HikariDataSource()) {
      database.ensureDatabase("bench");
      db.setJdbcUrl(database.jdbcUrl("bench"));
      db.setUsername(database.user());
      Flyway.configure().dataSource(db).locations("classpath:db/intake").load().migrate();
      Ledger ledger = new Ledger(db);
      // Three events per activity (queued, released, succeeded), as a running queue writes them.
      List<LifecycleEvent> all = new ArrayList<>(events);
      Instant at = Instant.now();
      for (int i = 0; all.size() < events; i++) {
        String id = UUID.randomUUID().toString();
        all.add(event(id, "host-" + (i % 1000), 1, ActivityState.QUEUED, ReasonCode.ACCEPTED, at));
        all.add(
            event(id, "host-" + (i % 1000), 2, ActivityState.RELEASED, ReasonCode.RELEASED, at));
        all.add(
            event(id, "host-" + (i % 1000), 3, ActivityState.SUCCEEDED, ReasonCode.SUCCEEDED, at));
      }
      if (spread) {
        List<LifecycleEvent> bySequence = new ArrayList<>(all.size());
        for (long sequence = 1; sequence <= 3; sequence++) {
          for (LifecycleEvent e : all) {
            if (e.getSequence() == sequence) {
              bySequence.add(e);
            }
          }
        }
        all = bySequence;
      }
      ledger.apply(all.subList(0, batch)); // warm up
      long start = System.nanoTime();
      for (int from = batch; from < all.size(); from += batch) {
        ledger.apply(all.subList(from, Math.min(all.size(), from + batch)));
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "ledger projection: %d events in %.2f s = %.0f events/s (batches of %d, %s)%n",
          all.size() - batch,
          seconds,
          (all.size() - batch) / seconds,
          batch,
          spread ? "an activity's events in different batches" : "an activity's events together");
    }
  }

  private static LifecycleEvent event(
      String id, String host, long seq, ActivityState state, ReasonCode reason, Instant at) {
    return LifecycleEvent.newBuilder()
        .setEventId(id + ":" + seq)
        .setActivityId(id)
        .setHostId(host)
        .setSequence(seq)
        .setState(state)
        .setReason(reason)
        .setOccurredAt(at)
        .setType(ActivityType.SCRIPT_RUN)
        .setAcceptedAt(at)
        .setAttempt(seq >= 2 ? 1 : 0)
        .build();
  }
}
