package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.service.db.PostgresPool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Both services' migrations, run on a fresh database each, leave every index on the per-activity
 * path comparing its identifiers byte by byte (collation "C"), whatever the database's own
 * collation: under a language collation each comparison in those btrees is a strcoll
 * (docs/BENCHMARKS.md, finding 49).
 */
@ExtendWith(LineupInfrastructure.class)
class IdentifierCollationTest {

  /** Each index key column of type text on {@code tables}, with the collation the index uses. */
  private static final String INDEXED_TEXT =
      """
      SELECT ix.relname || '(' || a.attname || ')', coll.collname
      FROM pg_index i
      JOIN pg_class ix ON ix.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN LATERAL unnest(i.indkey::int2[], i.indcollation::oid[]) AS k(attnum, collation_oid) ON true
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      JOIN pg_collation coll ON coll.oid = k.collation_oid
      WHERE t.relname = ANY (?) AND a.atttypid = 'text'::regtype
      ORDER BY 1
      """;

  @Test
  void intakesIdentifierIndexesCompareBytes(EmbeddedDatabase database) throws Exception {
    assertCompareBytes(
        database,
        "collation_intake",
        "classpath:db/intake",
        List.of("activities", "activity_claims", "idempotency_keys", "batches"),
        "activities_pkey(activity_id)",
        "activities_upcoming(host_id)",
        "activities_past(host_id)",
        "activities_batch(batch_id)",
        "activity_claims_pkey(activity_id)",
        "idempotency_keys_pkey(scoped_key)",
        "batches_pkey(batch_id)");
  }

  @Test
  void gatewaysIdentifierIndexesCompareBytes(EmbeddedDatabase database) throws Exception {
    assertCompareBytes(
        database,
        "collation_gateway",
        "classpath:db/gateway",
        List.of("deliveries", "revocations", "enrolled_hosts"),
        "deliveries_pkey(activity_id)",
        "deliveries_host_pending(host_id)",
        "deliveries_host_delivered(host_id)",
        "deliveries_task_token(task_token_sha256)",
        "deliveries_command_uuid(command_uuid)",
        "revocations_pkey(activity_id)",
        "enrolled_hosts_pkey(host_id)",
        "enrolled_hosts_token_sha256_key(token_sha256)");
  }

  /**
   * Migrates a fresh database {@code name} with {@code migrations}; every index with a text key on
   * {@code tables}, among them at least {@code expected}, must compare in collation "C".
   */
  private static void assertCompareBytes(
      EmbeddedDatabase database,
      String name,
      String migrations,
      List<String> tables,
      String... expected)
      throws Exception {
    Map<String, String> indexed = indexedText(database, name, migrations, tables);
    assertThat(indexed).containsKeys(expected);
    assertThat(indexed).allSatisfy((index, collation) -> assertThat(collation).isEqualTo("C"));
  }

  private static Map<String, String> indexedText(
      EmbeddedDatabase database, String name, String migrations, List<String> tables)
      throws Exception {
    database.ensureDatabase(name);
    try (HikariDataSource db =
            PostgresPool.open(name, database.jdbcUrl(name), database.user(), "", 2, migrations);
        Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(INDEXED_TEXT)) {
      s.setArray(1, c.createArrayOf("text", tables.toArray()));
      Map<String, String> indexed = new LinkedHashMap<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          indexed.put(rs.getString(1), rs.getString(2));
        }
      }
      return indexed;
    }
  }
}
