package dev.lineup.gateway.delivery;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topics;
import dev.lineup.service.db.ArrayParameters;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** The gateway's record of released attempts, in PostgreSQL: the truth every instance shares. */
@Singleton
public final class Deliveries {

  public static final String PENDING = "PENDING";

  /** The PostgreSQL channel agents' long polls listen on (see agent.TaskSignals). */
  public static final String NOTIFY_CHANNEL = "lineup_tasks";

  private final DataSource db;

  public Deliveries(DataSource db) {
    this.db = db;
  }

  /**
   * Records released attempts; an attempt seen before is left as it is, and one whose activity was
   * already revoked (its cancel seen first) is recorded REVOKED.
   */
  public void record(List<ReleasedActivity> released) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        insert(c, released);
        notifyHosts(c, released);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private record Attempt(String activityId, int attempt) {}

  /**
   * One statement for the whole poll, its rows passed as arrays: PostgreSQL plans and starts it
   * once, where a batch of single-row statements pays that per row (finding 40 in
   * docs/BENCHMARKS.md: a third less of its CPU per delivery).
   *
   * <p>A statement may not touch a row twice, so an attempt that comes twice in one poll (a replay)
   * is passed once, as the statements one after another would have left it: the run accepted last
   * wins, and of one run the first copy.
   */
  private static void insert(Connection c, List<ReleasedActivity> released) throws SQLException {
    Map<Attempt, ReleasedActivity> byAttempt = new LinkedHashMap<>();
    for (ReleasedActivity r : released) {
      byAttempt.merge(
          new Attempt(r.getActivity().getActivityId(), r.getAttempt()),
          r,
          (kept, again) ->
              again.getActivity().getAcceptedAt().isAfter(kept.getActivity().getAcceptedAt())
                  ? again
                  : kept);
    }
    int n = byAttempt.size();
    String[] ids = new String[n];
    Integer[] attempts = new Integer[n];
    String[] hosts = new String[n];
    String[] channels = new String[n];
    String[] types = new String[n];
    Instant[] releasedAt = new Instant[n];
    Instant[] leaseExpiresAt = new Instant[n];
    byte[][] records = new byte[n][];
    Instant[] acceptedAt = new Instant[n];
    int i = 0;
    for (ReleasedActivity r : byAttempt.values()) {
      var a = r.getActivity();
      ids[i] = a.getActivityId();
      attempts[i] = r.getAttempt();
      hosts[i] = a.getHostId();
      channels[i] = a.getChannel().name();
      types[i] = a.getType().name();
      releasedAt[i] = r.getReleasedAt();
      leaseExpiresAt[i] = r.getLeaseExpiresAt();
      records[i] = Topics.RELEASED_SCRIPT.valueSerde().serializer().serialize("deliveries", r);
      acceptedAt[i] = a.getAcceptedAt();
      i++;
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO deliveries (activity_id, attempt, host_id, channel, type, state,"
                + " released_at, lease_expires_at, released, accepted_at, finished_at)"
                + " SELECT v.activity_id, v.attempt, v.host_id, v.channel, v.type,"
                + " CASE WHEN v.revoked THEN 'REVOKED' ELSE 'PENDING' END, v.released_at,"
                + " v.lease_expires_at, v.released, v.accepted_at,"
                + " CASE WHEN v.revoked THEN now() END"
                + " FROM (SELECT t.*, EXISTS (SELECT 1 FROM revocations r"
                + " WHERE r.activity_id = t.activity_id AND r.accepted_at = t.accepted_at"
                + " AND r.attempt >= t.attempt) AS revoked"
                + " FROM (SELECT u.activity_id, u.attempt, u.host_id, u.channel, u.type, "
                + ArrayParameters.timestamptz("u.released_at")
                + " AS released_at, "
                + ArrayParameters.timestamptz("u.lease_expires_at")
                + " AS lease_expires_at, u.released, "
                + ArrayParameters.timestamptz("u.accepted_at")
                + " AS accepted_at"
                + " FROM unnest(?::text[], ?::integer[], ?::text[], ?::text[], ?::text[],"
                + " ?::bigint[], ?::bigint[], ?::bytea[], ?::bigint[])"
                + " AS u(activity_id, attempt, host_id, channel, type, released_at,"
                + " lease_expires_at, released, accepted_at)) t) v"
                // The same attempt of a later run (the id enqueued again after the
                // idempotency window; the sequencer counts its attempts from 1 again) takes
                // the row over; a replay of the same run changes nothing.
                + " ON CONFLICT (activity_id, attempt) DO UPDATE SET host_id = EXCLUDED.host_id,"
                + " channel = EXCLUDED.channel, type = EXCLUDED.type, state = EXCLUDED.state,"
                + " released_at = EXCLUDED.released_at,"
                + " lease_expires_at = EXCLUDED.lease_expires_at, released = EXCLUDED.released,"
                + " accepted_at = EXCLUDED.accepted_at, finished_at = EXCLUDED.finished_at,"
                + " recorded_at = now(), task_token_sha256 = NULL, delivered_at = NULL,"
                + " exit_code = NULL, output = NULL, command_uuid = NULL"
                + " WHERE deliveries.accepted_at < EXCLUDED.accepted_at")) {
      s.setArray(1, c.createArrayOf("text", ids));
      s.setArray(2, c.createArrayOf("integer", attempts));
      s.setArray(3, c.createArrayOf("text", hosts));
      s.setArray(4, c.createArrayOf("text", channels));
      s.setArray(5, c.createArrayOf("text", types));
      s.setArray(6, ArrayParameters.epochMicros(c, releasedAt));
      s.setArray(7, ArrayParameters.epochMicros(c, leaseExpiresAt));
      s.setObject(8, records);
      s.setArray(9, ArrayParameters.epochMicros(c, acceptedAt));
      s.executeUpdate();
    }
  }

  /**
   * Wakes the hosts' long-polling agents, on whichever gateway instance they wait: a notification
   * per host, all sent in one statement and delivered when the rows they announce are committed
   * with them (one round trip and one wake-up of each listener per poll, not one per host).
   */
  private static void notifyHosts(Connection c, List<ReleasedActivity> released)
      throws SQLException {
    String[] hosts =
        released.stream().map(r -> r.getActivity().getHostId()).distinct().toArray(String[]::new);
    if (hosts.length == 0) {
      return;
    }
    try (PreparedStatement notify =
        c.prepareStatement(
            "SELECT count(pg_notify('" + NOTIFY_CHANNEL + "', h)) FROM unnest(?::text[]) AS h")) {
      notify.setArray(1, c.createArrayOf("text", hosts));
      notify.execute();
    }
  }

  /**
   * True if the attempt may go to the MDM server now: recorded, not yet handed over or ended, its
   * lease running, and its activity not revoked. Asked right before each push, so a cancel seen in
   * the meantime (while the MDM server was down, say) keeps the command off the device.
   */
  public boolean mdmPushable(String activityId, int attempt) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT 1 FROM deliveries d WHERE d.activity_id = ? AND d.attempt = ?"
                    + " AND d.state = 'PENDING' AND d.lease_expires_at > now() AND "
                    + Revocations.NOT_REVOKED)) {
      s.setString(1, activityId);
      s.setInt(2, attempt);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * Ends an attempt that never reached the MDM server (a command it cannot take), with the reason
   * as its output; false if it had already moved on.
   */
  public boolean failUndelivered(String activityId, int attempt, String output)
      throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE deliveries SET state = 'FAILED', output = ?, finished_at = now()"
                    + " WHERE activity_id = ? AND attempt = ? AND state = 'PENDING'")) {
      s.setString(1, output);
      s.setString(2, activityId);
      s.setInt(3, attempt);
      return s.executeUpdate() == 1;
    }
  }

  /**
   * Records the command UUID of an attempt about to go to the MDM server, if it still may (the
   * checks of {@link #mdmPushable}); false if it may not. Recorded before the push, not after: the
   * device may acknowledge the command before the MDM server answers the push, and the webhook
   * finds the attempt by this UUID.
   */
  public boolean aboutToPush(String activityId, int attempt, String commandUuid)
      throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE deliveries d SET command_uuid = ? WHERE d.activity_id = ? AND d.attempt = ?"
                    + " AND d.state = 'PENDING' AND d.lease_expires_at > now() AND "
                    + Revocations.NOT_REVOKED)) {
      s.setString(1, commandUuid);
      s.setString(2, activityId);
      s.setInt(3, attempt);
      return s.executeUpdate() == 1;
    }
  }

  /** An attempt handed to an MDM server, as its webhook will name it. */
  public record MdmDelivery(String activityId, String hostId, int attempt) {}

  /**
   * Marks an attempt the MDM server took as delivered; false if it was already, or if its
   * acknowledgement came in first and ended it.
   */
  public boolean markMdmDelivered(String activityId, int attempt) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE deliveries SET state = 'DELIVERED', delivered_at = now()"
                    + " WHERE activity_id = ? AND attempt = ? AND state = 'PENDING'")) {
      s.setString(1, activityId);
      s.setInt(2, attempt);
      return s.executeUpdate() == 1;
    }
  }

  /**
   * The open attempt Lineup sent to {@code enrollment} (an enrollment id or UDID: the host id it
   * was enqueued under) as {@code commandUuid}. Both must match: a command UUID alone is no proof,
   * since a device or an MDM server could name a command Lineup sent to another enrollment. The
   * attempt may still be PENDING: the acknowledgement can overtake the MDM server's answer to the
   * push ({@link #aboutToPush}).
   */
  public java.util.Optional<MdmDelivery> mdmDelivery(String commandUuid, List<String> enrollment)
      throws SQLException {
    if (enrollment.isEmpty()) {
      return java.util.Optional.empty();
    }
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT activity_id, host_id, attempt FROM deliveries WHERE command_uuid = ?"
                    + " AND host_id = ANY (?) AND state IN ('PENDING', 'DELIVERED')"
                    + " ORDER BY attempt DESC LIMIT 1")) {
      s.setString(1, commandUuid);
      s.setArray(2, c.createArrayOf("text", enrollment.toArray()));
      try (ResultSet rs = s.executeQuery()) {
        return rs.next()
            ? java.util.Optional.of(new MdmDelivery(rs.getString(1), rs.getString(2), rs.getInt(3)))
            : java.util.Optional.empty();
      }
    }
  }

  /** Closes an MDM attempt with its outcome and the output its MDM server reported. */
  public void finishMdm(MdmDelivery delivery, String state, String output) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE deliveries SET state = ?, output = ?, finished_at = now()"
                    + " WHERE activity_id = ? AND attempt = ? AND state IN ('PENDING', 'DELIVERED')")) {
      s.setString(1, state);
      s.setString(2, output);
      s.setString(3, delivery.activityId());
      s.setInt(4, delivery.attempt());
      s.executeUpdate();
    }
  }

  /** How many attempts were recorded for an activity (for operators and tests). */
  public int attempts(String activityId) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT count(*) FROM deliveries WHERE activity_id = ?")) {
      s.setString(1, activityId);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
