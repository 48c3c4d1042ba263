package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.intake.schedule.ScheduleFiring;
import io.micronaut.json.JsonMapper;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Recurring activities on the real services, broker and PostgreSQL. Firing is driven by a clock of
 * the test's own ({@link ScheduleFiring#fireDue}): every schedule here starts days ahead, where the
 * service's own poller, on the real clock, never finds it due; one test lets that poller fire.
 */
@ExtendWith(LineupInfrastructure.class)
class SchedulesTest {

  private static final String ADMIN = "schedules-admin-token-0123456789";
  private static final Duration SIX_HOURS = Duration.ofHours(6);

  /** Each test's slots lie a week apart from every other test's. */
  private static final AtomicInteger WEEKS = new AtomicInteger(1);

  private static LineupServices services;
  private static LineupClient intake;
  private static EmbeddedDatabase database;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase db) throws Exception {
    database = db;
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                db,
                Files.createTempDirectory("schedules-state"),
                ADMIN,
                "schedules-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    intake =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  private static String host() {
    return "sched-" + UUID.randomUUID();
  }

  /** A slot of this test's own: whole minutes, weeks ahead of now and of every other test's. */
  private static Instant start() {
    return Instant.now()
        .truncatedTo(ChronoUnit.MINUTES)
        .plus(Duration.ofDays(7L * WEEKS.getAndIncrement()));
  }

  private static LineupClient.Answer create(String host, Instant startAt, String script)
      throws Exception {
    return intake.post(
        "/v1/schedules",
        "{\"host_id\":\""
            + host
            + "\",\"every\":\"PT6H\",\"start_at\":\""
            + startAt
            + "\",\"activity\":{\"type\":\"script_run\",\"payload\":{\"script\":\""
            + script
            + "\"}}}");
  }

  private static void fire(Instant at) throws Exception {
    services.intake().getBean(ScheduleFiring.class).fireDue(at);
  }

  private static Map<String, Object> schedule(String id) throws Exception {
    var read = intake.get("/v1/schedules/" + id);
    assertThat(read.status()).isEqualTo(200);
    return read.body();
  }

  private static void awaitState(String activityId, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(intake.get("/v1/activities/" + activityId).text("state"))
                    .isEqualTo(state));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> upcoming(String host) throws Exception {
    return (List<Map<String, Object>>)
        intake.get("/v1/hosts/" + host + "/activities?state=upcoming").body().get("activities");
  }

  @Test
  void aScheduleFiresAtItsStartThenAtEachSlotWithAnIdDerivedFromTheSlot() throws Exception {
    String host = host();
    Instant t = start();
    var created = create(host, t, "echo every six hours");
    String id = created.text("schedule_id");

    fire(t.minusSeconds(1));
    Map<String, Object> before = schedule(id);
    fire(t);
    String first = ScheduleFiring.activityId(id, t);

    assertThat(created.status()).isEqualTo(201);
    assertThat(created.text("next_fire_at")).isEqualTo(t.toString());
    assertThat(before.get("last_activity_id")).isNull();
    awaitState(first, "RELEASED");
    Map<String, Object> after = schedule(id);
    assertThat(after.get("last_activity_id")).isEqualTo(first);
    assertThat(after.get("next_fire_at")).isEqualTo(t.plus(SIX_HOURS).toString());
    assertThat(intake.get("/v1/activities/" + first).body())
        .containsEntry("host_id", host)
        .containsEntry("type", "script_run");
    // The stored body holds the script's hash, never the script.
    assertThat(after.get("activity").toString()).contains("script_sha256").doesNotContain("echo");
    // Rule 10: recurring work without an initiator is the system's, under the release budget.
    assertThat(after.get("activity").toString()).contains("initiator={kind=system}");
  }

  @Test
  void aFiringWhileThePreviousActivityHasNotEndedIsSkippedAndSaysSo() throws Exception {
    String host = host();
    Instant t = start();
    // A paused host keeps the first firing's activity QUEUED.
    assertThat(intake.post("/v1/hosts/" + host + "/pause", "").status()).isEqualTo(202);
    String id = create(host, t, "echo skipped while upcoming").text("schedule_id");
    fire(t);
    String first = ScheduleFiring.activityId(id, t);
    awaitState(first, "QUEUED");

    fire(t.plus(SIX_HOURS));

    String skippedSlot = ScheduleFiring.activityId(id, t.plus(SIX_HOURS));
    awaitState(skippedSlot, "REJECTED");
    assertThat(intake.get("/v1/activities/" + skippedSlot).body())
        .containsEntry("reason", "SCHEDULE_SKIPPED");
    Map<String, Object> skipped = schedule(id);
    assertThat(skipped.get("skipped_firings")).isEqualTo(1);
    assertThat(skipped.get("last_activity_id")).isEqualTo(first);
    assertThat(skipped.get("last_state")).isEqualTo("QUEUED");
    assertThat(upcoming(host)).hasSize(1);

    // Once it ends, the next slot fires again.
    assertThat(intake.delete("/v1/hosts/" + host + "/activities/" + first).status()).isEqualTo(202);
    awaitState(first, "CANCELLED");
    fire(t.plus(SIX_HOURS.multipliedBy(2)));
    awaitState(ScheduleFiring.activityId(id, t.plus(SIX_HOURS.multipliedBy(2))), "QUEUED");
  }

  @Test
  @SuppressWarnings("unchecked")
  void aFiringRepeatedAfterACrashEnqueuesTheSameActivityOnce() throws Exception {
    String host = host();
    Instant t = start();
    assertThat(intake.post("/v1/hosts/" + host + "/pause", "").status()).isEqualTo(202);
    String id = create(host, t, "echo once").text("schedule_id");
    fire(t);
    String first = ScheduleFiring.activityId(id, t);
    awaitState(first, "QUEUED");

    // A crash after the enqueue and before the row moved on: the row still says the slot is due.
    try (Connection c =
            DriverManager.getConnection(
                database.jdbcUrl(LineupServices.INTAKE_DATABASE), database.user(), "");
        PreparedStatement reset =
            c.prepareStatement(
                "UPDATE schedules SET next_fire_at = ?, last_activity_id = NULL,"
                    + " last_fired_at = NULL WHERE schedule_id = ?")) {
      reset.setTimestamp(1, Timestamp.from(t));
      reset.setString(2, id);
      assertThat(reset.executeUpdate()).isEqualTo(1);
    }
    // The restarted intake fires the slot it finds due, a little later.
    fire(t.plusSeconds(30));

    assertThat(schedule(id).get("last_activity_id")).isEqualTo(first);
    // The sequencer saw the enqueue twice and kept one (rule 12): its own queue holds one.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var queue = intake.get("/v1/hosts/" + host + "/queue");
              assertThat(queue.status()).isEqualTo(200);
              assertThat((List<Map<String, Object>>) queue.body().get("upcoming"))
                  .extracting(a -> a.get("activity_id"))
                  .containsExactly(first);
            });
    assertThat(upcoming(host)).extracting(a -> a.get("activity_id")).containsExactly(first);
    // The ledger still has it QUEUED: the repeat is the same acceptance, not a new run.
    Thread.sleep(1_000);
    assertThat(intake.get("/v1/activities/" + first).text("state")).isEqualTo("QUEUED");
  }

  @Test
  void aPausedScheduleDoesNotFireUntilResumed() throws Exception {
    String host = host();
    Instant t = start();
    String id = create(host, t, "echo paused").text("schedule_id");

    var paused = intake.post("/v1/schedules/" + id + "/pause", "");
    fire(t);
    Map<String, Object> whilePaused = schedule(id);
    var resumed = intake.post("/v1/schedules/" + id + "/resume", "");
    fire(t);

    assertThat(paused.status()).isEqualTo(200);
    assertThat(paused.body()).containsEntry("paused", true);
    assertThat(whilePaused.get("last_activity_id")).isNull();
    assertThat(whilePaused.get("next_fire_at")).isEqualTo(t.toString());
    assertThat(resumed.body()).containsEntry("paused", false);
    awaitState(ScheduleFiring.activityId(id, t), "RELEASED");
  }

  @Test
  void aDeletedScheduleNoLongerFiresAndIsGone() throws Exception {
    String host = host();
    Instant t = start();
    String id = create(host, t, "echo deleted").text("schedule_id");

    var deleted = intake.delete("/v1/schedules/" + id);
    fire(t);

    assertThat(deleted.status()).isEqualTo(204);
    assertThat(intake.get("/v1/schedules/" + id).status()).isEqualTo(404);
    assertThat(intake.delete("/v1/schedules/" + id).status()).isEqualTo(404);
    assertThat(intake.get("/v1/activities/" + ScheduleFiring.activityId(id, t)).status())
        .isEqualTo(404);
  }

  @Test
  void purgingAHostDeletesItsSchedules() throws Exception {
    String host = host();
    Instant t = start();
    String id = create(host, t, "echo purged").text("schedule_id");
    create(host, t, "echo purged too");

    var listed = intake.get("/v1/hosts/" + host + "/schedules");
    var purged = intake.delete("/v1/hosts/" + host);
    fire(t);

    assertThat((List<?>) listed.body().get("schedules")).hasSize(2);
    assertThat(purged.status()).isEqualTo(202);
    assertThat((List<?>) intake.get("/v1/hosts/" + host + "/schedules").body().get("schedules"))
        .isEmpty();
    assertThat(intake.get("/v1/schedules/" + id).status()).isEqualTo(404);
    assertThat(intake.get("/v1/activities/" + ScheduleFiring.activityId(id, t)).status())
        .isEqualTo(404);
  }

  @Test
  void aScheduleThatCannotFireRecordsWhyAndTheOthersStillFire() throws Exception {
    Instant t = start();
    // Someone took the activity id of the slot on another host: the firing is refused (rule 17).
    String taken = create(host(), t, "echo id taken").text("schedule_id");
    String takenId = ScheduleFiring.activityId(taken, t);
    assertThat(
            intake
                .post(
                    "/v1/hosts/" + host() + "/activities",
                    "{\"activity_id\":\""
                        + takenId
                        + "\",\"type\":\"script_run\",\"payload\":{\"script\":\"echo thief\"}}")
                .status())
        .isEqualTo(202);
    // A stored time zone this JVM no longer knows (its rules dropped it).
    String unzoned = create(host(), t, "echo zone dropped").text("schedule_id");
    try (Connection c =
            DriverManager.getConnection(
                database.jdbcUrl(LineupServices.INTAKE_DATABASE), database.user(), "");
        PreparedStatement zone =
            c.prepareStatement(
                "UPDATE schedules SET time_zone = 'Mars/Olympus' WHERE schedule_id = ?")) {
      zone.setString(1, unzoned);
      assertThat(zone.executeUpdate()).isEqualTo(1);
    }
    String healthy = create(host(), t, "echo still fires").text("schedule_id");

    fire(t);

    Map<String, Object> refused = schedule(taken);
    assertThat((String) refused.get("last_error")).contains("activity_id").contains("another host");
    assertThat(refused.get("last_activity_id")).isNull();
    assertThat(refused.get("next_fire_at")).isEqualTo(t.plus(SIX_HOURS).toString());
    Map<String, Object> paused = schedule(unzoned);
    assertThat((String) paused.get("last_error")).contains("Mars/Olympus");
    assertThat(paused.get("paused")).isEqualTo(true);
    awaitState(ScheduleFiring.activityId(healthy, t), "RELEASED");
  }

  @Test
  void aCronScheduleFiresAtItsTimesInItsTimeZone() throws Exception {
    Instant t = start();
    var created =
        intake.post(
            "/v1/schedules",
            "{\"host_id\":\""
                + host()
                + "\",\"cron\":\"30 3 * * *\",\"time_zone\":\"Europe/Paris\",\"start_at\":\""
                + t
                + "\",\"activity\":{\"type\":\"software_install\",\"payload\":{"
                + "\"installer_id\":\"firefox\",\"version\":\"1\",\"download_ref\":\"x\"}}}");

    ZonedDateTime first =
        ZonedDateTime.parse(created.text("next_fire_at"))
            .withZoneSameInstant(ZoneId.of("Europe/Paris"));
    assertThat(created.status()).isEqualTo(201);
    assertThat(first.getHour()).isEqualTo(3);
    assertThat(first.getMinute()).isEqualTo(30);
    assertThat(first.toInstant()).isAfterOrEqualTo(t).isBefore(t.plus(Duration.ofDays(1)));

    String id = created.text("schedule_id");
    fire(first.toInstant());
    assertThat(Instant.parse((String) schedule(id).get("next_fire_at")))
        .isEqualTo(first.plusDays(1).toInstant());
  }

  @Test
  void theServiceFiresADueScheduleOnItsOwn() throws Exception {
    String host = host();
    var created =
        intake.post(
            "/v1/schedules",
            "{\"host_id\":\""
                + host
                + "\",\"every\":\"PT1H\",\"activity\":{\"type\":\"script_run\","
                + "\"payload\":{\"script\":\"echo now\"}}}");
    String id = created.text("schedule_id");

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(schedule(id).get("last_activity_id")).isNotNull());
    String fired = (String) schedule(id).get("last_activity_id");
    awaitState(fired, "RELEASED");
    assertThat(Instant.parse((String) schedule(id).get("next_fire_at")))
        .isAfter(Instant.now().plus(Duration.ofMinutes(55)));
  }

  @Test
  void theSameScheduleIdWithTheSameDefinitionAnswersItAgainAndWithAnotherIsAConflict()
      throws Exception {
    String host = host();
    String id = UUID.randomUUID().toString();
    Instant t = start();
    String body =
        "{\"schedule_id\":\"%s\",\"host_id\":\"%s\",\"every\":\"%s\",\"start_at\":\"%s\","
            + "\"activity\":{\"type\":\"script_run\",\"payload\":{\"script\":\"echo same\"}}}";

    var first = intake.post("/v1/schedules", body.formatted(id, host, "PT6H", t));
    var again = intake.post("/v1/schedules", body.formatted(id, host, "PT6H", t));
    var other = intake.post("/v1/schedules", body.formatted(id, host, "PT7H", t));

    assertThat(first.status()).isEqualTo(201);
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.text("schedule_id")).isEqualTo(id);
    assertThat(other.status()).isEqualTo(409);
    assertThat((List<?>) intake.get("/v1/hosts/" + host + "/schedules").body().get("schedules"))
        .hasSize(1);
  }

  @Test
  void invalidSchedulesAreRefusedNamingEveryField() throws Exception {
    var answer =
        intake.post(
            "/v1/schedules",
            "{\"schedule_id\":\"nope\",\"every\":\"PT1S\",\"cron\":\"* * * * * *\","
                + "\"time_zone\":\"Mars/Olympus\",\"start_at\":\"2099-01-01T00:00:00Z\","
                + "\"activity\":{\"type\":\"wipe\",\"activity_id\":\""
                + UUID.randomUUID()
                + "\",\"not_before\":\"2026-12-01T00:00:00Z\",\"depends_on\":[\""
                + UUID.randomUUID()
                + "\"],\"payload\":{}}}");

    assertThat(answer.status()).isEqualTo(400);
    assertThat(intake.contentType).isEqualTo("application/problem+json");
    assertThat(fields(answer))
        .contains(
            "schedule_id",
            "host_id",
            "cron",
            "time_zone",
            "start_at",
            "activity.type",
            "activity.activity_id",
            "activity.not_before",
            "activity.depends_on");
    assertThat(fields(intake.post("/v1/schedules", oneRecurrence("\"every\":\"PT1S\""))))
        .containsExactly("every");
    assertThat(fields(intake.post("/v1/schedules", oneRecurrence("\"cron\":\"0 0 3 * * *\""))))
        .containsExactly("cron");
    assertThat(fields(intake.post("/v1/schedules", oneRecurrence("\"cron\":\"0 3 30 2 *\""))))
        .containsExactly("cron");
    assertThat(fields(intake.post("/v1/schedules", oneRecurrence("\"every\":\"P1M\""))))
        .containsExactly("every");
    assertThat(
            fields(
                intake.post(
                    "/v1/schedules",
                    "{\"host_id\":\"h\",\"every\":\"PT1H\","
                        + "\"activity\":{\"type\":\"script_run\",\"payload\":{}}}")))
        .allMatch(f -> f.startsWith("activity.payload"));
    assertThat(intake.post("/v1/schedules", "{\"host_id\":\"h\"}").status()).isEqualTo(400);
    // A field of the wrong form deep in the body is named from the outside in.
    assertThat(
            fields(
                intake.post(
                    "/v1/schedules",
                    "{\"host_id\":\"h\",\"every\":\"PT1H\","
                        + "\"activity\":{\"type\":\"script_run\",\"payload\":7}}")))
        .containsExactly("activity.payload");
    assertThat(intake.get("/v1/schedules/" + UUID.randomUUID()).status()).isEqualTo(404);
    assertThat(intake.get("/v1/schedules/%00").status()).isEqualTo(404);
    assertThat(intake.post("/v1/schedules/" + UUID.randomUUID() + "/pause", "").status())
        .isEqualTo(404);
  }

  private static String oneRecurrence(String recurrence) {
    return "{\"host_id\":\"h\","
        + recurrence
        + ",\"activity\":{\"type\":\"script_run\",\"payload\":{\"script\":\"echo x\"}}}";
  }

  @SuppressWarnings("unchecked")
  private static List<String> fields(LineupClient.Answer answer) {
    assertThat(answer.status()).isEqualTo(400);
    return ((List<Map<String, Object>>) answer.body().get("errors"))
        .stream().map(e -> (String) e.get("field")).toList();
  }
}
