package dev.lineup.intake;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.service.db.PostgresPool;
import java.sql.SQLException;

/** A database of the embedded PostgreSQL with intake's tables, for the tests of what uses them. */
public final class IntakeTestDatabase {

  private IntakeTestDatabase() {}

  /**
   * Creates {@code name} if it is missing, migrates it as intake does when it starts, and opens a
   * pool on it.
   */
  public static HikariDataSource open(EmbeddedDatabase database, String name) throws SQLException {
    database.ensureDatabase(name);
    return PostgresPool.open(
        name, database.jdbcUrl(name), database.user(), "", 4, "classpath:db/intake");
  }
}
