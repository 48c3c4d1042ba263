package dev.lineup.intake.ledger;

import dev.lineup.avro.Lane;
import dev.lineup.service.metrics.Instrumented;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's unfinished work as gauges, counted in the ledger (exact: it reads {@code
 * lineup.events} read_committed, unlike the sequencer's at-least-once counters): {@code
 * lineup_activities{state,type,lane}} for every activity not finished yet, and {@code
 * lineup_upcoming_activities{lane}}, the QUEUED ones, per lane. Labels are enums, never a host.
 *
 * <p>Counted every {@code lineup.intake.ledger.gauge-interval} rather than at each scrape, so
 * scrapes cost nothing and a slow count cannot time one out; the unfinished rows are the ones the
 * {@code activities_upcoming} partial index holds, a fleet's backlog, not its history. Every intake
 * instance counts the same ledger, so aggregate these with {@code max}, not {@code sum}. When the
 * database is away the last counts stay (and {@code lineup_ledger_counted_at_seconds} tells their
 * age).
 */
@Singleton
public final class LedgerGauges implements Instrumented {

  private static final Logger LOG = LoggerFactory.getLogger(LedgerGauges.class);

  private static final String COUNT =
      "SELECT state, type, lane, count(*) FROM activities WHERE finished_at IS NULL"
          + " GROUP BY state, type, lane";

  private static final String UPCOMING = "QUEUED";

  private final DataSource db;
  // Set at startup, read by the scheduler's thread.
  private volatile MultiGauge activities;
  private volatile MultiGauge upcoming;
  private volatile double countedAt = Double.NaN;

  public LedgerGauges(DataSource db) {
    this.db = db;
  }

  @Override
  public void instrument(MeterRegistry registry) {
    activities =
        MultiGauge.builder("lineup.activities")
            .description("Activities not finished yet, by state, type and lane (from the ledger)")
            .register(registry);
    upcoming =
        MultiGauge.builder("lineup.upcoming.activities")
            .description("Upcoming (QUEUED) activities per lane, all hosts together")
            .register(registry);
    Gauge.builder("lineup.ledger.counted.at", this, g -> g.countedAt)
        .description("When the activity gauges were last counted (Unix time)")
        .baseUnit("seconds")
        .register(registry);
    // The first count is the scheduler's, soon after: a database still starting must not hold
    // up the service's startup here.
  }

  /** Counts again; a failure keeps the last counts and is tried at the next interval. */
  @Scheduled(fixedDelay = "${lineup.intake.ledger.gauge-interval}", initialDelay = "2s")
  void count() {
    if (activities == null) {
      return;
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    Map<String, Long> perLane = new TreeMap<>();
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(COUNT)) {
      s.setQueryTimeout(30);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String state = rs.getString(1);
          String lane = rs.getString(3);
          long count = rs.getLong(4);
          rows.add(
              MultiGauge.Row.of(
                  Tags.of("state", state, "type", rs.getString(2), "lane", lane), count));
          if (UPCOMING.equals(state)) {
            perLane.merge(lane, count, Long::sum);
          }
        }
      }
    } catch (SQLException e) {
      // The ledger's own loop reports a database outage (health, one log line); not again here.
      LOG.debug("could not count the ledger's unfinished activities", e);
      return;
    }
    for (Lane lane : Lane.values()) {
      // An empty lane is a 0, not a missing series.
      perLane.putIfAbsent(lane.name(), 0L);
    }
    List<MultiGauge.Row<?>> lanes = new ArrayList<>();
    perLane.forEach((lane, count) -> lanes.add(MultiGauge.Row.of(Tags.of("lane", lane), count)));
    activities.register(rows, true);
    upcoming.register(lanes, true);
    countedAt = System.currentTimeMillis() / 1000.0;
  }
}
