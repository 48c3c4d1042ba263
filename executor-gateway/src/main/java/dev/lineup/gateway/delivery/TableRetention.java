package dev.lineup.gateway.delivery;

import dev.lineup.schemas.Limits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table whose rows the gateway forgets once they are older than a retention of at least the
 * longest lease ({@link Limits#MAX_LEASE}): a shorter one is refused at start-up. Each purge
 * deletes a bounded number of rows per statement, so none holds its locks for long, until a
 * statement finds fewer; one that fails is tried again at the next purge, the table merely a little
 * longer till then.
 */
abstract class TableRetention {

  private static final Logger LOG = LoggerFactory.getLogger(TableRetention.class);

  /** Rows deleted per statement. */
  static final int PER_STATEMENT = 10_000;

  private final DataSource db;
  private final Duration retention;
  private final String rows;
  private final String delete;

  /**
   * {@code delete} deletes at most {@link #PER_STATEMENT} rows past the retention, given in
   * milliseconds as its one parameter; {@code rows} names them in logs, {@code setting} is the
   * retention's configuration key and {@code why} what a retention shorter than a lease would risk.
   */
  TableRetention(
      DataSource db, Duration retention, String setting, String rows, String delete, String why) {
    if (retention.compareTo(Limits.MAX_LEASE) < 0) {
      throw new IllegalArgumentException(
          setting
              + " must be at least the longest lease, "
              + Limits.MAX_LEASE.toDays()
              + " days: "
              + why);
    }
    this.db = db;
    this.retention = retention;
    this.rows = rows;
    this.delete = delete;
  }

  /** Deletes the rows past the retention. */
  void purge() {
    int total = 0;
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(delete)) {
      int deleted;
      do {
        s.setLong(1, retention.toMillis());
        deleted = s.executeUpdate();
        total += deleted;
      } while (deleted == PER_STATEMENT);
      LOG.debug("{} retention {}: forgot {}", rows, retention, total);
    } catch (SQLException e) {
      LOG.warn(
          "could not forget the {} older than {} ({} forgotten first); trying again in the next run",
          rows,
          retention,
          total,
          e);
    }
  }
}
