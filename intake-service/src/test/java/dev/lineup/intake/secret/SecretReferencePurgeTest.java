package dev.lineup.intake.secret;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.intake.IntakeTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The secret references on a real PostgreSQL: pruning forgets exactly those that no longer block a
 * delete, so the table does not keep every reference ever recorded, and a delete is refused as
 * before.
 */
@ExtendWith(LineupInfrastructure.class)
class SecretReferencePurgeTest {

  private static HikariDataSource db;
  private static Secrets secrets;

  @BeforeAll
  static void start(EmbeddedDatabase database) throws Exception {
    db = IntakeTestDatabase.open(database, "secret_references_test");
    secrets = new Secrets(db);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @Test
  void forgetsTheReferencesOfFinishedAndNeverSeenActivitiesAndKeepsThoseThatBlockADelete()
      throws Exception {
    sql("INSERT INTO secrets (name, nonce, sealed) VALUES ('WIFI', '\\x00', '\\x00')");
    sql("INSERT INTO secrets (name, nonce, sealed) VALUES ('VPN', '\\x00', '\\x00')");
    List<String> ids =
        List.of(
            "finished-long-ago",
            "finished-rerun",
            "upcoming",
            "never-seen",
            "never-seen-lately",
            "just-enqueued");
    assertThat(
            secrets.recordReferences(ids, ids.stream().map(id -> Set.of("WIFI", "VPN")).toList()))
        .isEmpty();
    ledgerRow("finished-long-ago", true);
    // The same id enqueued again after the idempotency window: the ledger still shows the old run
    // finished until the projection catches up; its new reference was recorded just now.
    ledgerRow("finished-rerun", true);
    ledgerRow("upcoming", false);
    recordedAgo("finished-long-ago", "2 hours");
    recordedAgo("upcoming", "3 days");
    recordedAgo("never-seen", "2 days");
    // Not in the ledger yet and younger than a day: an enqueue the ledger may still learn of.
    recordedAgo("never-seen-lately", "2 hours");

    // Three rows a statement: the walk goes through the table page after page.
    assertThat(secrets.forgetSettledReferences(3)).isEqualTo(4);

    List<String> kept = List.of("finished-rerun", "just-enqueued", "never-seen-lately", "upcoming");
    assertThat(referencing("WIFI")).containsExactlyElementsOf(kept);
    assertThat(referencing("VPN")).containsExactlyElementsOf(kept);
    assertThat(secrets.delete("WIFI").blockedBy())
        .containsExactly("just-enqueued", "never-seen-lately", "upcoming");
    // Nothing more is settled: a second pass forgets nothing.
    assertThat(secrets.forgetSettledReferences()).isZero();
  }

  @Test
  void aPassLeavesAReferenceAnotherTransactionHoldsInsteadOfWaitingForIt() throws Exception {
    sql("INSERT INTO secrets (name, nonce, sealed) VALUES ('HELD', '\\x00', '\\x00')");
    List<String> ids = List.of("held-finished", "free-finished");
    assertThat(secrets.recordReferences(ids, List.of(Set.of("HELD"), Set.of("HELD")))).isEmpty();
    for (String id : ids) {
      ledgerRow(id, true);
      recordedAgo(id, "2 hours");
    }

    try (Connection deleting = db.getConnection()) {
      // What a delete of the secret holds while it runs: the rows of its references.
      deleting.setAutoCommit(false);
      try (PreparedStatement lock =
          deleting.prepareStatement(
              "SELECT 1 FROM secret_references WHERE activity_id = 'held-finished' FOR UPDATE")) {
        lock.executeQuery().close();
      }
      int forgot =
          CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return secrets.forgetSettledReferences();
                    } catch (SQLException e) {
                      throw new IllegalStateException(e);
                    }
                  })
              .get(10, TimeUnit.SECONDS);

      assertThat(forgot).isEqualTo(1);
      assertThat(referencing("HELD")).containsExactly("held-finished");
      deleting.rollback();
    }
    // The next pass takes what the last one left.
    assertThat(secrets.forgetSettledReferences()).isEqualTo(1);
    assertThat(referencing("HELD")).isEmpty();
  }

  private static void ledgerRow(String activityId, boolean finished) throws Exception {
    sql(
        "INSERT INTO activities (activity_id, host_id, type, lane, priority, state, created_at,"
            + " finished_at) VALUES ('"
            + activityId
            + "', 'host-1', 'SCRIPT', 'ORDERED', 0, '"
            + (finished
                ? "SUCCEEDED', now() - interval '1 day', now())"
                : "QUEUED', now(), NULL)"));
  }

  private static void recordedAgo(String activityId, String age) throws Exception {
    sql(
        "UPDATE secret_references SET recorded_at = now() - interval '"
            + age
            + "' WHERE activity_id = '"
            + activityId
            + "'");
  }

  private static List<String> referencing(String name) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT activity_id FROM secret_references WHERE name = ? ORDER BY activity_id")) {
      s.setString(1, name);
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    }
  }

  private static void sql(String statement) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(statement)) {
      s.executeUpdate();
    }
  }
}
