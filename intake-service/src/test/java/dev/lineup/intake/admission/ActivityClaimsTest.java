package dev.lineup.intake.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.intake.IntakeTestDatabase;
import dev.lineup.intake.admission.ActivityClaims.Outcome;
import dev.lineup.intake.admission.ActivityClaims.Wanted;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Claims on a real PostgreSQL, many in one statement: each id is decided as if claimed one by one
 * in the order given, whatever else the poll holds.
 */
@ExtendWith(LineupInfrastructure.class)
class ActivityClaimsTest {

  private static HikariDataSource db;
  private static ActivityClaims claims;

  @BeforeAll
  static void start(EmbeddedDatabase database) throws Exception {
    db = IntakeTestDatabase.open(database, "claims_test");
    claims = new ActivityClaims(db, Duration.ofSeconds(10));
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  @Test
  void anIdTwiceInOnePollIsAdmittedOnceAndAnotherHostsClaimOnItConflicts() throws Exception {
    String twice = UUID.randomUUID().toString();
    String contested = UUID.randomUUID().toString();
    String alone = UUID.randomUUID().toString();

    var decided =
        claims.claimEach(
            List.of(
                new Wanted(twice, "h1"),
                new Wanted(contested, "h1"),
                new Wanted(twice, "h1"),
                new Wanted(contested, "h2"),
                new Wanted(alone, "h2")),
            List.of(
                "requests:0:1", "requests:0:2", "requests:0:3", "requests:0:4", "requests:0:5"));

    assertThat(decided)
        .extracting(ActivityClaims.Claim::activityId, ActivityClaims.Claim::outcome)
        .containsExactly(
            Tuple.tuple(twice, Outcome.ADMITTED),
            Tuple.tuple(contested, Outcome.ADMITTED),
            Tuple.tuple(twice, Outcome.RESENT),
            Tuple.tuple(contested, Outcome.CONFLICT),
            Tuple.tuple(alone, Outcome.ADMITTED));
    assertThat(decided.get(3).hostId()).isEqualTo("h1");
    // The same claimant again (its poll read again after an abort) is admitted again.
    assertThat(claims.claim(twice, "h1", "requests:0:1").outcome()).isEqualTo(Outcome.ADMITTED);
    assertThat(claims.claim(twice, "h1", "requests:0:9").outcome()).isEqualTo(Outcome.RESENT);
  }

  @Test
  void aBatchWithOneIdHeldByAnotherHostClaimsNothing() throws Exception {
    String held = UUID.randomUUID().toString();
    String fresh = UUID.randomUUID().toString();
    assertThat(claims.claim(held, "h1", "http:first").outcome()).isEqualTo(Outcome.ADMITTED);

    var decided =
        claims.claimAll(List.of(new Wanted(fresh, "h2"), new Wanted(held, "h2")), "batch:b1", "b1");

    assertThat(decided)
        .extracting(ActivityClaims.Claim::outcome)
        .containsExactly(Outcome.ADMITTED, Outcome.CONFLICT);
    // All or nothing: the fresh id's claim went with the batch, so another host may take it.
    assertThat(claims.claim(fresh, "h3", "http:later").outcome()).isEqualTo(Outcome.ADMITTED);
  }
}
