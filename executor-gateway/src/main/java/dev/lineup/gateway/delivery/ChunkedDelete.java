package dev.lineup.gateway.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * A retention's purge: deletes the rows older than the retention a bounded number at a time, so no
 * statement holds its locks for long, until a statement finds fewer than that.
 */
final class ChunkedDelete {

  /** Rows deleted per statement. */
  static final int PER_STATEMENT = 10_000;

  private ChunkedDelete() {}

  /**
   * Runs {@code delete} until it deletes fewer than {@link #PER_STATEMENT} rows; answers how many
   * it deleted in all. Its one parameter is the retention in milliseconds, and it must delete at
   * most {@link #PER_STATEMENT} rows.
   */
  static int run(DataSource db, String delete, Duration retention) throws SQLException {
    int total = 0;
    int deleted;
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(delete)) {
      do {
        s.setLong(1, retention.toMillis());
        deleted = s.executeUpdate();
        total += deleted;
      } while (deleted == PER_STATEMENT);
    }
    return total;
  }
}
