package dev.lineup.gateway.delivery;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topics;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
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

  /** Records released attempts; an attempt seen before is left as it is. */
  public void record(List<ReleasedActivity> released) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO deliveries (activity_id, attempt, host_id, channel, type, state,"
                    + " released_at, lease_expires_at, released) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (activity_id, attempt) DO NOTHING")) {
      for (ReleasedActivity r : released) {
        var a = r.getActivity();
        s.setString(1, a.getActivityId());
        s.setInt(2, r.getAttempt());
        s.setString(3, a.getHostId());
        s.setString(4, a.getChannel().name());
        s.setString(5, a.getType().name());
        s.setString(6, PENDING);
        s.setTimestamp(7, Timestamp.from(r.getReleasedAt()));
        s.setTimestamp(8, Timestamp.from(r.getLeaseExpiresAt()));
        s.setBytes(9, Topics.RELEASED_SCRIPT.valueSerde().serializer().serialize("deliveries", r));
        s.addBatch();
      }
      s.executeBatch();
      // Wake the hosts' long-polling agents, on whichever gateway instance they wait.
      try (PreparedStatement notify =
          c.prepareStatement("SELECT pg_notify('" + NOTIFY_CHANNEL + "', ?)")) {
        for (String host :
            released.stream().map(r -> r.getActivity().getHostId()).distinct().toList()) {
          notify.setString(1, host);
          notify.execute();
        }
      }
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
