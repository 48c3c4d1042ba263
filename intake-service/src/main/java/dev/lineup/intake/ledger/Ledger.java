package dev.lineup.intake.ledger;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.StoredText;
import dev.lineup.service.problem.ApiException;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The PostgreSQL ledger: a projection of {@code lineup.events}, plus the row intake writes the
 * moment it accepts an activity, so a read right after the 202 finds it.
 *
 * <p>Every event carries a per-activity sequence; a row only moves to an event with a higher one,
 * so replays and redeliveries never move it backwards. A row holds one <em>run</em> of its
 * activity, known by its {@code created_at} (the run's {@code accepted_at}): an id enqueued again
 * after the idempotency window runs again, and its first event resets the row (see {@link
 * #NEW_RUN}).
 */
@Singleton
public final class Ledger {

  private static final String COLUMNS =
      "activity_id, host_id, type, lane, priority, batch_id, state, reason, detail, attempt,"
          + " created_at, released_at, finished_at, exit_code, output, seen_order";

  /**
   * A new run of an activity: the row holds an older one. An id runs again once its claim is past
   * the idempotency window (its event then carries a later {@code accepted_at}, and the sequencer,
   * having forgotten the first run, starts its sequence again at 1). The row then shows the new run
   * from the start instead of hiding it behind the first run's higher sequence.
   *
   * <p>A row still REQUESTED (intake's own, before any event) takes the first event of any run: an
   * enqueue resent during an outage may have claimed its id anew, with a later acceptance time,
   * after the first send had reached the sequencer after all. The sequencer answers the resend as a
   * duplicate, so the first send's events are the activity's, and must not be taken for an older
   * run's.
   */
  private static final String NEW_RUN =
      "(EXCLUDED.created_at > activities.created_at OR activities.state = 'REQUESTED')";

  /**
   * An event of the row's run moves it only forward (a higher sequence); an event of a newer run
   * resets it; an event of an older run (a replay) changes nothing. The acceptance order ({@code
   * seen_order}) is drawn again only for a newer run: intake's own REQUESTED row was numbered when
   * it was written, and the first event moving it on must not move it in the host's listing (a page
   * read before and one after would show it twice).
   */
  private static final String APPLY =
      """
      INSERT INTO activities (activity_id, host_id, type, lane, priority, batch_id, state, reason,
          detail, attempt, last_sequence, created_at, released_at, finished_at, exit_code, output)
      ROWS
      ON CONFLICT (activity_id) DO UPDATE SET
          state = EXCLUDED.state, reason = EXCLUDED.reason, detail = EXCLUDED.detail,
          attempt = EXCLUDED.attempt, last_sequence = EXCLUDED.last_sequence,
          type = EXCLUDED.type, lane = EXCLUDED.lane, priority = EXCLUDED.priority,
          batch_id = EXCLUDED.batch_id, created_at = EXCLUDED.created_at,
          released_at = CASE WHEN NEW_RUN THEN EXCLUDED.released_at
              ELSE COALESCE(EXCLUDED.released_at, activities.released_at) END,
          finished_at = CASE WHEN NEW_RUN THEN EXCLUDED.finished_at
              ELSE COALESCE(activities.finished_at, EXCLUDED.finished_at) END,
          exit_code = CASE WHEN NEW_RUN THEN EXCLUDED.exit_code
              ELSE COALESCE(EXCLUDED.exit_code, activities.exit_code) END,
          output = CASE WHEN NEW_RUN THEN EXCLUDED.output
              ELSE COALESCE(EXCLUDED.output, activities.output) END,
          seen_order = CASE WHEN NEW_RUN AND activities.state <> 'REQUESTED'
              THEN nextval(pg_get_serial_sequence('activities', 'seen_order'))
              ELSE activities.seen_order END,
          updated_at = now()
      WHERE NEW_RUN
          OR (EXCLUDED.created_at = activities.created_at
              AND activities.last_sequence < EXCLUDED.last_sequence)
      """
          .replace("NEW_RUN", NEW_RUN)
          .replace("ROWS", FoldedRows.ROWS);

  /**
   * For an event without {@code accepted_at} (none the sequencer writes): it cannot tell its run,
   * so it counts as the row's and only the sequence guards it.
   */
  private static final String APPLY_TO_CURRENT_RUN =
      """
      INSERT INTO activities (activity_id, host_id, type, lane, priority, batch_id, state, reason,
          detail, attempt, last_sequence, created_at, released_at, finished_at, exit_code, output)
      ROWS
      ON CONFLICT (activity_id) DO UPDATE SET
          state = EXCLUDED.state, reason = EXCLUDED.reason, detail = EXCLUDED.detail,
          attempt = EXCLUDED.attempt, last_sequence = EXCLUDED.last_sequence,
          released_at = COALESCE(EXCLUDED.released_at, activities.released_at),
          finished_at = COALESCE(activities.finished_at, EXCLUDED.finished_at),
          exit_code = COALESCE(EXCLUDED.exit_code, activities.exit_code),
          output = COALESCE(EXCLUDED.output, activities.output),
          updated_at = now()
      WHERE activities.last_sequence < EXCLUDED.last_sequence
      """
          .replace("ROWS", FoldedRows.ROWS);

  /** A note changes only the detail, and only on the run it belongs to. */
  private static final String NOTE =
      """
      UPDATE activities SET last_sequence = ?, detail = ?, updated_at = now()
      WHERE activity_id = ? AND last_sequence < ? AND created_at = COALESCE(?, created_at)
      """;

  private final DataSource db;

  public Ledger(DataSource db) {
    this.db = db;
  }

  /** The row of a just-accepted activity; the projection may already have written it. */
  public void recordRequested(Activity a) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(REQUESTED)) {
      bindRequested(s, a);
      s.executeUpdate();
    }
  }

  /**
   * The REQUESTED row: written unless the projection got there first, and over a row of an older
   * run (the same id enqueued again after the idempotency window).
   */
  private static final String REQUESTED =
      """
      INSERT INTO activities (activity_id, host_id, type, lane, priority, batch_id, state, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (activity_id) DO UPDATE SET
          type = EXCLUDED.type, lane = EXCLUDED.lane, priority = EXCLUDED.priority,
          batch_id = EXCLUDED.batch_id, state = EXCLUDED.state, reason = NULL, detail = NULL,
          attempt = 0, last_sequence = 0, created_at = EXCLUDED.created_at, released_at = NULL,
          finished_at = NULL, exit_code = NULL, output = NULL,
          seen_order = nextval(pg_get_serial_sequence('activities', 'seen_order')),
          updated_at = now()
      WHERE activities.created_at < EXCLUDED.created_at
      """;

  private static void bindRequested(PreparedStatement s, Activity a) throws SQLException {
    s.setString(1, a.getActivityId());
    s.setString(2, a.getHostId());
    s.setString(3, a.getType().name());
    s.setString(4, a.getLane().name());
    s.setInt(5, a.getPriority());
    s.setString(6, a.getBatchId());
    s.setString(7, ActivityState.REQUESTED.name());
    s.setTimestamp(8, Timestamp.from(a.getAcceptedAt()));
  }

  /**
   * Applies a batch of events in one transaction, in order, each activity's folded into one write
   * where they may be ({@link FoldedEvents}).
   */
  public void apply(List<LifecycleEvent> events) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement upsert = c.prepareStatement(APPLY);
          PreparedStatement upsertCurrentRun = c.prepareStatement(APPLY_TO_CURRENT_RUN);
          PreparedStatement note = c.prepareStatement(NOTE)) {
        List<FoldedEvents> writes = new ArrayList<>();
        List<FoldedEvents> currentRunWrites = new ArrayList<>();
        for (FoldedEvents write : FoldedEvents.fold(events)) {
          LifecycleEvent e = write.last();
          if (Lifecycle.isNote(e.getReason())) {
            note.setLong(1, e.getSequence());
            note.setString(
                2,
                StoredText.clean(
                    e.getReason() + (e.getDetail() == null ? "" : ": " + e.getDetail())));
            note.setString(3, e.getActivityId());
            note.setLong(4, e.getSequence());
            note.setTimestamp(
                5, e.getAcceptedAt() == null ? null : Timestamp.from(e.getAcceptedAt()));
            note.addBatch();
          } else if (e.getAcceptedAt() == null) {
            currentRunWrites.add(write);
          } else {
            writes.add(write);
          }
        }
        for (FoldedRows rows : FoldedRows.inRounds(writes)) {
          rows.bind(c, upsert);
          upsert.executeUpdate();
        }
        for (FoldedRows rows : FoldedRows.inRounds(currentRunWrites)) {
          rows.bind(c, upsertCurrentRun);
          upsertCurrentRun.executeUpdate();
        }
        note.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Records an accepted batch and the REQUESTED rows of its activities, in one transaction. */
  public void recordBatch(String batchId, List<Activity> activities) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement batch =
              c.prepareStatement(
                  "INSERT INTO batches (batch_id, size) VALUES (?, ?) ON CONFLICT DO NOTHING");
          PreparedStatement rows = c.prepareStatement(REQUESTED)) {
        batch.setString(1, batchId);
        batch.setInt(2, activities.size());
        batch.executeUpdate();
        for (Activity a : activities) {
          bindRequested(rows, a);
          rows.addBatch();
        }
        rows.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** A batch's size and how many of its activities are in each state; empty if unknown. */
  public Optional<BatchView> batch(String batchId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement size =
            c.prepareStatement("SELECT size, created_at FROM batches WHERE batch_id = ?");
        PreparedStatement counts =
            c.prepareStatement(
                "SELECT state, count(*) FROM activities WHERE batch_id = ? GROUP BY state")) {
      size.setString(1, batchId);
      int total;
      Instant created;
      try (ResultSet rs = size.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        total = rs.getInt(1);
        created = rs.getTimestamp(2).toInstant();
      }
      counts.setString(1, batchId);
      java.util.Map<String, Integer> byState = new java.util.TreeMap<>();
      try (ResultSet rs = counts.executeQuery()) {
        while (rs.next()) {
          byState.put(rs.getString(1), rs.getInt(2));
        }
      }
      return Optional.of(BatchView.of(batchId, total, created, byState));
    }
  }

  /** How many activities there are of each type in each state. */
  public List<SummaryView.Count> summary() throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT type, state, count(*) FROM activities GROUP BY type, state ORDER BY type, state");
        ResultSet rs = s.executeQuery()) {
      List<SummaryView.Count> counts = new ArrayList<>();
      while (rs.next()) {
        counts.add(
            new SummaryView.Count(
                rs.getString(1).toLowerCase(Locale.ROOT), rs.getString(2), rs.getLong(3)));
      }
      return counts;
    }
  }

  public Optional<ActivityView> find(String activityId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT " + COLUMNS + " FROM activities WHERE activity_id = ?")) {
      s.setString(1, activityId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(view(rs)) : Optional.empty();
      }
    }
  }

  /** 0 for a row released to a device (in flight), 1 for one still waiting. */
  private static final String IN_FLIGHT_FIRST =
      Lifecycle.RELEASED.stream()
          .map(state -> "'" + state.name() + "'")
          .collect(Collectors.joining(",", "CASE WHEN state IN (", ") THEN 0 ELSE 1 END"));

  private static final String UPCOMING =
      "SELECT "
          + COLUMNS
          + ", "
          + IN_FLIGHT_FIRST
          + " AS grp"
          + " FROM activities WHERE host_id = ? AND finished_at IS NULL"
          + " AND ("
          + IN_FLIGHT_FIRST
          + ", -priority,"
          + " seen_order) > (?, ?, ?)"
          + " ORDER BY grp, priority DESC, seen_order LIMIT ?";

  /** A host's unfinished activities: in flight first, then by priority and acceptance. */
  public Page upcoming(String hostId, String cursor, int limit) throws SQLException {
    long[] after = decodeCursor(cursor, 3, new long[] {-1, Long.MIN_VALUE, Long.MIN_VALUE});
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(UPCOMING)) {
      s.setString(1, hostId);
      s.setLong(2, after[0]);
      s.setLong(3, after[1]);
      s.setLong(4, after[2]);
      s.setInt(5, limit + 1);
      return page(
          s,
          limit,
          rs -> new long[] {rs.getInt("grp"), -rs.getInt("priority"), rs.getLong("seen_order")});
    }
  }

  /** A host's finished activities, newest first. */
  public Page past(String hostId, String cursor, int limit) throws SQLException {
    long[] before = decodeCursor(cursor, 2, new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM activities WHERE host_id = ? AND finished_at IS NOT NULL"
            + " AND (finished_at, seen_order) < (?, ?)"
            + " ORDER BY finished_at DESC, seen_order DESC LIMIT ?";
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, hostId);
      s.setTimestamp(
          2,
          before[0] == Long.MAX_VALUE
              ? Timestamp.from(Instant.parse("9999-01-01T00:00:00Z"))
              : micros(before[0]));
      s.setLong(3, before[1]);
      s.setInt(4, limit + 1);
      return page(
          s,
          limit,
          rs -> new long[] {toMicros(rs.getTimestamp("finished_at")), rs.getLong("seen_order")});
    }
  }

  /**
   * A batch's activities in the order the ledger first saw them, only those in {@code state} if it
   * is given: which hosts a rollout failed on, or still waits for.
   */
  public Page inBatch(String batchId, String state, String cursor, int limit) throws SQLException {
    long[] after = decodeCursor(cursor, 1, new long[] {Long.MIN_VALUE});
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM activities WHERE batch_id = ?"
            + (state == null ? "" : " AND state = ?")
            + " AND seen_order > ? ORDER BY seen_order LIMIT ?";
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      int i = 1;
      s.setString(i++, batchId);
      if (state != null) {
        s.setString(i++, state);
      }
      s.setLong(i++, after[0]);
      s.setInt(i, limit + 1);
      return page(s, limit, rs -> new long[] {rs.getLong("seen_order")});
    }
  }

  /** The sort key of a row, which its page's cursor carries. */
  private interface CursorKey {
    long[] of(ResultSet row) throws SQLException;
  }

  /** Runs a query that asked for {@code limit + 1} rows: the extra one only says "more". */
  private static Page page(PreparedStatement query, int limit, CursorKey key) throws SQLException {
    List<ActivityView> rows = new ArrayList<>();
    long[] last = null;
    try (ResultSet rs = query.executeQuery()) {
      while (rs.next()) {
        if (rows.size() == limit) {
          return new Page(rows, encodeCursor(last));
        }
        rows.add(view(rs));
        last = key.of(rs);
      }
    }
    return new Page(rows, null);
  }

  private static ActivityView view(ResultSet rs) throws SQLException {
    Integer exitCode = (Integer) rs.getObject("exit_code");
    String output = rs.getString("output");
    return new ActivityView(
        rs.getString("activity_id"),
        rs.getString("host_id"),
        rs.getString("type").toLowerCase(Locale.ROOT),
        rs.getString("lane").toLowerCase(Locale.ROOT),
        rs.getString("state"),
        rs.getString("reason"),
        rs.getString("detail"),
        rs.getInt("priority"),
        rs.getInt("attempt"),
        rs.getString("batch_id"),
        rs.getTimestamp("created_at").toInstant(),
        instant(rs.getTimestamp("released_at")),
        instant(rs.getTimestamp("finished_at")),
        exitCode == null && output == null ? null : new ActivityView.Result(exitCode, output));
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }

  private static long toMicros(Timestamp t) {
    Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000 + i.getNano() / 1_000;
  }

  private static Timestamp micros(long micros) {
    return Timestamp.from(
        Instant.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1_000L));
  }

  private static String encodeCursor(long[] values) {
    StringBuilder b = new StringBuilder();
    for (long v : values) {
      b.append(b.length() == 0 ? "" : ".").append(v);
    }
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static long[] decodeCursor(String cursor, int parts, long[] start) {
    if (cursor == null || cursor.isBlank()) {
      return start;
    }
    try {
      String[] values =
          new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\.");
      if (values.length != parts) {
        throw new IllegalArgumentException();
      }
      long[] decoded = new long[parts];
      for (int i = 0; i < parts; i++) {
        decoded[i] = Long.parseLong(values[i]);
      }
      return decoded;
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          List.of(
              new dev.lineup.service.problem.Problem.FieldError(
                  "cursor", "not a cursor this API gave out")));
    }
  }
}
