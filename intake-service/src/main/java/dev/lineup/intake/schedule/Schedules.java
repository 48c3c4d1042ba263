package dev.lineup.intake.schedule;

import dev.lineup.intake.validation.FieldErrors;
import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The schedules table: what each schedule enqueues, when, and what its last firing did. Reads join
 * the ledger for the state of the last activity.
 */
@Singleton
public final class Schedules {

  /**
   * A stored schedule, with the ledger's state of its last activity (null if none). {@code
   * recurrence} is null if the stored one no longer parses (a time zone this JVM's rules dropped):
   * its firing pauses the schedule instead of failing every other.
   */
  public record Schedule(
      String scheduleId,
      String hostId,
      String activityJson,
      String every,
      String cron,
      String timeZone,
      Recurrence recurrence,
      Instant startAt,
      Instant nextFireAt,
      boolean paused,
      String lastActivityId,
      String lastState,
      Instant lastFiredAt,
      long skippedFirings,
      String lastError,
      Instant createdAt) {}

  private static final String COLUMNS =
      "s.schedule_id, s.host_id, s.activity::text, s.every, s.cron, s.time_zone, s.start_at,"
          + " s.next_fire_at, s.paused, s.last_activity_id, a.state, s.last_fired_at,"
          + " s.skipped_firings, s.last_error, s.created_at";

  private static final String FROM =
      " FROM schedules s LEFT JOIN activities a ON a.activity_id = s.last_activity_id";

  private final DataSource db;
  private final JsonMapper json;

  public Schedules(DataSource db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /**
   * Stores a new schedule unless its host already has {@code maxPerHost}; false if the id is taken
   * (the caller compares with what is stored). A 400 naming {@code host_id} when the host is full.
   */
  boolean insert(Schedule s, int maxPerHost) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        // One creation per host at a time, so two concurrent ones cannot both pass the count.
        try (PreparedStatement lock =
            c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, "schedules:" + s.hostId());
          lock.executeQuery().close();
        }
        // A resend of a stored schedule is answered by the caller, even on a full host.
        try (PreparedStatement exists =
            c.prepareStatement("SELECT 1 FROM schedules WHERE schedule_id = ?")) {
          exists.setString(1, s.scheduleId());
          try (ResultSet rs = exists.executeQuery()) {
            if (rs.next()) {
              c.rollback();
              return false;
            }
          }
        }
        try (PreparedStatement count =
            c.prepareStatement("SELECT count(*) FROM schedules WHERE host_id = ?")) {
          count.setString(1, s.hostId());
          try (ResultSet rs = count.executeQuery()) {
            rs.next();
            if (rs.getLong(1) >= maxPerHost) {
              c.rollback();
              FieldErrors errors = new FieldErrors();
              errors.add("host_id", "the host has " + maxPerHost + " schedules, the most it may");
              errors.throwIfAny();
            }
          }
        }
        int inserted;
        try (PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO schedules (schedule_id, host_id, activity, every, cron, time_zone,"
                    + " start_at, next_fire_at, created_at)"
                    + " VALUES (?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (schedule_id) DO NOTHING")) {
          insert.setString(1, s.scheduleId());
          insert.setString(2, s.hostId());
          insert.setString(3, s.activityJson());
          insert.setString(4, s.every());
          insert.setString(5, s.cron());
          insert.setString(6, s.timeZone());
          insert.setTimestamp(7, Timestamp.from(s.startAt()));
          insert.setTimestamp(8, Timestamp.from(s.nextFireAt()));
          insert.setTimestamp(9, Timestamp.from(s.createdAt()));
          inserted = insert.executeUpdate();
        }
        c.commit();
        return inserted == 1;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  public Optional<Schedule> find(String scheduleId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT " + COLUMNS + FROM + " WHERE s.schedule_id = ?")) {
      s.setString(1, scheduleId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  /** A host's schedules, oldest first (a host holds a bounded number). */
  public List<Schedule> forHost(String hostId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT " + COLUMNS + FROM + " WHERE s.host_id = ? ORDER BY s.created_at, 1")) {
      s.setString(1, hostId);
      List<Schedule> found = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          found.add(read(rs));
        }
      }
      return found;
    }
  }

  /** Deletes a schedule; false if there was none. */
  boolean delete(String scheduleId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("DELETE FROM schedules WHERE schedule_id = ?")) {
      s.setString(1, scheduleId);
      return s.executeUpdate() == 1;
    }
  }

  /** Deletes every schedule of a host (its purge). */
  public int deleteHost(String hostId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("DELETE FROM schedules WHERE host_id = ?")) {
      s.setString(1, hostId);
      return s.executeUpdate();
    }
  }

  /** Pauses or resumes; a resume sets the next slot. False if there is no such schedule. */
  boolean setPaused(String scheduleId, boolean paused, Instant nextFireAt) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE schedules SET paused = ?, next_fire_at = COALESCE(?, next_fire_at)"
                    + " WHERE schedule_id = ?")) {
      s.setBoolean(1, paused);
      s.setTimestamp(2, nextFireAt == null ? null : Timestamp.from(nextFireAt));
      s.setString(3, scheduleId);
      return s.executeUpdate() == 1;
    }
  }

  /**
   * Up to {@code limit} schedules due at {@code now}, earliest first, locked in {@code c}'s
   * transaction; rows another intake instance is firing are passed over.
   */
  List<Schedule> lockDue(Connection c, Instant now, int limit) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT "
                + COLUMNS
                + FROM
                + " WHERE NOT s.paused AND s.next_fire_at <= ?"
                + " ORDER BY s.next_fire_at LIMIT ? FOR UPDATE OF s SKIP LOCKED")) {
      s.setTimestamp(1, Timestamp.from(now));
      s.setInt(2, limit);
      List<Schedule> due = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          due.add(read(rs));
        }
      }
      return due;
    }
  }

  /** What a firing did, written in the transaction that locked the row. */
  record Fired(
      String scheduleId,
      Instant nextFireAt,
      String activityId,
      Instant firedAt,
      boolean skipped,
      String error,
      boolean pause) {}

  void recordFirings(Connection c, List<Fired> firings) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "UPDATE schedules SET next_fire_at = ?, paused = paused OR ?,"
                + " last_activity_id = COALESCE(?, last_activity_id),"
                + " last_fired_at = CASE WHEN ? THEN ? ELSE last_fired_at END,"
                + " skipped_firings = skipped_firings + CASE WHEN ? THEN 1 ELSE 0 END,"
                + " last_error = CASE WHEN ? THEN last_error ELSE ? END"
                + " WHERE schedule_id = ?")) {
      for (Fired f : firings) {
        boolean enqueued = f.activityId() != null;
        s.setTimestamp(1, Timestamp.from(f.nextFireAt()));
        s.setBoolean(2, f.pause());
        s.setString(3, f.activityId());
        s.setBoolean(4, enqueued);
        s.setTimestamp(5, Timestamp.from(f.firedAt()));
        s.setBoolean(6, f.skipped());
        // A skip says nothing about the activity's validity: the last error stays as it was.
        s.setBoolean(7, f.skipped());
        s.setString(8, f.error());
        s.setString(9, f.scheduleId());
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** The stored enqueue body, as JSON values. */
  Map<String, Object> activityBody(Schedule s) {
    try {
      return json.readValue(s.activityJson(), Argument.mapOf(String.class, Object.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Schedule read(ResultSet rs) throws SQLException {
    Instant startAt = rs.getTimestamp(7).toInstant();
    String every = rs.getString(4);
    String cron = rs.getString(5);
    String zone = rs.getString(6);
    Recurrence recurrence = Recurrence.of(every, cron, zone, startAt, new FieldErrors());
    Timestamp lastFiredAt = rs.getTimestamp(12);
    return new Schedule(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        every,
        cron,
        zone,
        recurrence,
        startAt,
        rs.getTimestamp(8).toInstant(),
        rs.getBoolean(9),
        rs.getString(10),
        rs.getString(11),
        lastFiredAt == null ? null : lastFiredAt.toInstant(),
        rs.getLong(13),
        rs.getString(14),
        rs.getTimestamp(15).toInstant());
  }
}
