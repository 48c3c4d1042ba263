package dev.lineup.intake.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.intake.IntakeTestDatabase;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ledger projection on a real PostgreSQL: replays and redeliveries never move a row back. */
@ExtendWith(LineupInfrastructure.class)
class LedgerProjectionTest {

  private static HikariDataSource db;
  private static Ledger ledger;

  @BeforeAll
  static void start(EmbeddedDatabase database) throws Exception {
    db = IntakeTestDatabase.open(database, "ledger_test");
    ledger = new Ledger(db);
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static LifecycleEvent event(
      String id, long sequence, ActivityState state, ReasonCode reason) {
    Instant at = Instant.parse("2026-11-24T10:00:00Z").plusSeconds(sequence);
    return LifecycleEvent.newBuilder()
        .setEventId(id + ":" + sequence)
        .setActivityId(id)
        .setHostId("h1")
        .setSequence(sequence)
        .setState(state)
        .setReason(reason)
        .setOccurredAt(at)
        .setType(ActivityType.SCRIPT_RUN)
        .setAcceptedAt(Instant.parse("2026-11-24T10:00:00Z"))
        .setAttempt(sequence >= 2 ? 1 : 0)
        .setExitCode(state == ActivityState.SUCCEEDED ? 0 : null)
        .build();
  }

  @Test
  void anOlderEventArrivingLateDoesNotMoveTheRowBack() throws Exception {
    String id = UUID.randomUUID().toString();
    var queued = event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED);
    var released = event(id, 2, ActivityState.RELEASED, ReasonCode.RELEASED);
    var succeeded = event(id, 3, ActivityState.SUCCEEDED, ReasonCode.SUCCEEDED);

    ledger.apply(List.of(queued, succeeded));
    ledger.apply(List.of(released, queued));

    var row = ledger.find(id).orElseThrow();
    assertThat(row.state()).isEqualTo("SUCCEEDED");
    assertThat(row.finishedAt()).isEqualTo(succeeded.getOccurredAt());
    assertThat(row.result().exitCode()).isZero();
  }

  @Test
  void aReplayedBatchChangesNothing() throws Exception {
    String id = UUID.randomUUID().toString();
    var batch =
        List.of(
            event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED),
            event(id, 2, ActivityState.RELEASED, ReasonCode.RELEASED),
            event(id, 3, ActivityState.SUCCEEDED, ReasonCode.SUCCEEDED));
    ledger.apply(batch);
    var first = ledger.find(id).orElseThrow();

    ledger.apply(batch);

    assertThat(ledger.find(id).orElseThrow()).isEqualTo(first);
  }

  @Test
  void aNoteKeepsTheStateAndTheReasonOfTheLastTransition() throws Exception {
    String id = UUID.randomUUID().toString();
    ledger.apply(
        List.of(
            event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED),
            event(id, 2, ActivityState.CANCELLED, ReasonCode.USER_CANCEL),
            event(id, 3, ActivityState.CANCELLED, ReasonCode.LATE_RESULT)));

    var row = ledger.find(id).orElseThrow();

    assertThat(row.state()).isEqualTo("CANCELLED");
    assertThat(row.reason()).isEqualTo("USER_CANCEL");
    assertThat(row.detail()).startsWith("LATE_RESULT");
  }

  private static LifecycleEvent ofRun(LifecycleEvent event, Instant acceptedAt) {
    return LifecycleEvent.newBuilder(event)
        .setAcceptedAt(acceptedAt)
        .setOccurredAt(acceptedAt.plusSeconds(event.getSequence()))
        .build();
  }

  @Test
  void theSameIdRunAgainAfterTheIdempotencyWindowShowsTheNewRunAndIgnoresReplaysOfTheOld()
      throws Exception {
    String id = UUID.randomUUID().toString();
    Instant firstRun = Instant.parse("2026-10-01T10:00:00Z");
    Instant secondRun = Instant.parse("2026-11-24T10:00:00Z");
    var oldSucceeded = ofRun(event(id, 3, ActivityState.SUCCEEDED, ReasonCode.SUCCEEDED), firstRun);
    ledger.apply(
        List.of(
            ofRun(event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED), firstRun),
            ofRun(event(id, 2, ActivityState.RELEASED, ReasonCode.RELEASED), firstRun),
            oldSucceeded));

    // The sequencer forgot the first run long ago: the second starts its sequence at 1 again.
    ledger.apply(
        List.of(ofRun(event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED), secondRun)));
    ledger.apply(List.of(oldSucceeded));

    var row = ledger.find(id).orElseThrow();
    assertThat(row.state()).isEqualTo("QUEUED");
    assertThat(row.createdAt()).isEqualTo(secondRun);
    assertThat(row.finishedAt()).isNull();
    assertThat(row.result()).isNull();
  }

  @Test
  void aResendThatClaimedItsIdAnewDoesNotHideTheEventsOfTheFirstSend() throws Exception {
    String id = UUID.randomUUID().toString();
    // The resend's provisional row carries a later acceptance time than the first send, which the
    // sequencer took (and which the resend only repeated).
    ledger.recordRequested(
        dev.lineup.avro.Activity.newBuilder()
            .setActivityId(id)
            .setHostId("h1")
            .setType(ActivityType.SCRIPT_RUN)
            .setChannel(dev.lineup.avro.Channel.SCRIPT)
            .setInitiator(
                dev.lineup.avro.Initiator.newBuilder()
                    .setKind(dev.lineup.avro.InitiatorKind.SYSTEM)
                    .build())
            .setAcceptedAt(Instant.parse("2026-11-24T10:05:00Z"))
            .setPayload(
                dev.lineup.avro.ScriptRunPayload.newBuilder()
                    .setScriptSha256("a".repeat(64))
                    .build())
            .build());

    ledger.apply(
        List.of(
            event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED),
            event(id, 2, ActivityState.RELEASED, ReasonCode.RELEASED),
            event(id, 3, ActivityState.SUCCEEDED, ReasonCode.SUCCEEDED)));

    assertThat(ledger.find(id).orElseThrow().state()).isEqualTo("SUCCEEDED");
  }

  private static dev.lineup.avro.Activity requested(String id, String host, Instant acceptedAt) {
    return dev.lineup.avro.Activity.newBuilder()
        .setActivityId(id)
        .setHostId(host)
        .setType(ActivityType.SCRIPT_RUN)
        .setChannel(dev.lineup.avro.Channel.SCRIPT)
        .setInitiator(
            dev.lineup.avro.Initiator.newBuilder()
                .setKind(dev.lineup.avro.InitiatorKind.SYSTEM)
                .build())
        .setAcceptedAt(acceptedAt)
        .setPayload(
            dev.lineup.avro.ScriptRunPayload.newBuilder().setScriptSha256("a".repeat(64)).build())
        .build();
  }

  /**
   * The first event of an activity intake had recorded does not move it in the host's listing: a
   * page read before it and one after must not show the activity twice (seen in a full run, where
   * the second page of upcoming repeated the first's last activity).
   */
  @Test
  void theFirstEventOfARequestedActivityKeepsItsPlaceInTheHostsListing() throws Exception {
    String host = "order-" + UUID.randomUUID();
    String first = UUID.randomUUID().toString();
    String second = UUID.randomUUID().toString();
    Instant at = Instant.parse("2026-11-24T10:00:00Z");
    ledger.recordRequested(requested(first, host, at));
    ledger.recordRequested(requested(second, host, at.plusSeconds(1)));

    LifecycleEvent queued =
        LifecycleEvent.newBuilder(event(first, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED))
            .setHostId(host)
            .setAcceptedAt(at)
            .build();
    ledger.apply(List.of(queued));

    var page = ledger.upcoming(host, null, 10);
    assertThat(page.activities())
        .extracting(ActivityView::activityId)
        .containsExactly(first, second);
    assertThat(ledger.find(first).orElseThrow().state()).isEqualTo("QUEUED");
  }

  /**
   * A batch of interleaved events of many activities, written at once (each activity's events
   * folded into one write where they may be), leaves every row as applying the events one at a time
   * does: random histories, with retries, results, notes, out-of-order replays, a second run of the
   * same id and intake's own REQUESTED row.
   */
  @Test
  void aBatchWrittenFoldedLeavesEveryRowAsTheEventsAppliedOneByOne() throws Exception {
    long seed = new java.util.Random().nextLong();
    java.util.Random random = new java.util.Random(seed);
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<LifecycleEvent> batch = new java.util.ArrayList<>();
    List<String> ids = new java.util.ArrayList<>();
    for (int a = 0; a < 150; a++) {
      String id = run + "-" + a;
      ids.add(id);
      Instant accepted = Instant.parse("2026-11-24T10:00:00Z").plusSeconds(a);
      if (random.nextInt(4) == 0) {
        Instant requestedAt = random.nextBoolean() ? accepted : accepted.plusSeconds(30);
        ledger.recordRequested(requested("fold-" + id, "h1", requestedAt));
        ledger.recordRequested(requested("one-" + id, "h1", requestedAt));
      }
      batch.addAll(history(random, id, accepted));
      if (random.nextInt(10) == 0) {
        batch.addAll(history(random, id, accepted.plus(java.time.Duration.ofDays(40))));
      }
    }
    List<LifecycleEvent> ordered = inPartitionOrder(batch, random);

    ledger.apply(ordered.stream().map(e -> renamed(e, "fold-")).toList());
    for (LifecycleEvent e : ordered) {
      ledger.apply(List.of(renamed(e, "one-")));
    }

    for (String id : ids) {
      var folded = ledger.find("fold-" + id).orElseThrow();
      var oneByOne = ledger.find("one-" + id).orElseThrow();
      assertThat(folded)
          .as("activity %s, seed %d", id, seed)
          .usingRecursiveComparison()
          .ignoringFields("activityId")
          .isEqualTo(oneByOne);
    }
  }

  /** One run's events: queued, then releases, results, notes and ends in a random order. */
  private static List<LifecycleEvent> history(
      java.util.Random random, String id, Instant accepted) {
    ActivityState[] states = {
      ActivityState.RELEASED,
      ActivityState.DELIVERED,
      ActivityState.QUEUED,
      ActivityState.SUCCEEDED,
      ActivityState.FAILED,
      ActivityState.CANCELLED,
      ActivityState.EXPIRED
    };
    ReasonCode[] reasons = {
      ReasonCode.RELEASED, ReasonCode.RETRY_RELEASED, ReasonCode.DELIVERED, ReasonCode.FAILED,
      ReasonCode.SUCCEEDED, ReasonCode.USER_CANCEL, ReasonCode.LEASE_EXPIRED, ReasonCode.DUPLICATE,
      ReasonCode.LATE_RESULT
    };
    List<LifecycleEvent> events = new java.util.ArrayList<>();
    int length = 1 + random.nextInt(8);
    for (int sequence = 1; sequence <= length; sequence++) {
      ActivityState state =
          sequence == 1 ? ActivityState.QUEUED : states[random.nextInt(states.length)];
      ReasonCode reason = sequence == 1 ? ReasonCode.ACCEPTED : reasons[random.nextInt(9)];
      events.add(
          LifecycleEvent.newBuilder()
              .setEventId(id + ":" + accepted + ":" + sequence)
              .setActivityId(id)
              .setHostId("h1")
              .setSequence(sequence)
              .setState(state)
              .setReason(reason)
              .setDetail(random.nextInt(3) == 0 ? "detail " + sequence : null)
              .setOccurredAt(accepted.plusMillis(100L * sequence + random.nextInt(50)))
              .setType(ActivityType.SCRIPT_RUN)
              .setAcceptedAt(accepted)
              .setAttempt(random.nextInt(3))
              .setExitCode(random.nextInt(3) == 0 ? random.nextInt(5) : null)
              .setOutput(random.nextInt(3) == 0 ? "out " + sequence : null)
              .build());
    }
    return events;
  }

  /**
   * The events as one partition holds them: interleaved across activities, each activity's in
   * sequence order, except a few replayed (an earlier event again, later in the batch).
   */
  private static List<LifecycleEvent> inPartitionOrder(
      List<LifecycleEvent> events, java.util.Random random) {
    java.util.Map<String, java.util.Deque<LifecycleEvent>> byActivityRun =
        new java.util.LinkedHashMap<>();
    List<LifecycleEvent> sorted = new java.util.ArrayList<>(events);
    sorted.sort(
        java.util.Comparator.comparing(LifecycleEvent::getAcceptedAt)
            .thenComparing(LifecycleEvent::getSequence));
    for (LifecycleEvent e : sorted) {
      byActivityRun.computeIfAbsent(e.getActivityId(), k -> new java.util.ArrayDeque<>()).add(e);
    }
    List<LifecycleEvent> out = new java.util.ArrayList<>();
    List<java.util.Deque<LifecycleEvent>> queues =
        new java.util.ArrayList<>(byActivityRun.values());
    while (!queues.isEmpty()) {
      int pick = random.nextInt(queues.size());
      LifecycleEvent next = queues.get(pick).poll();
      out.add(next);
      if (random.nextInt(20) == 0) {
        out.add(out.get(random.nextInt(out.size())));
      }
      if (queues.get(pick).isEmpty()) {
        queues.remove(pick);
      }
    }
    return out;
  }

  private static LifecycleEvent renamed(LifecycleEvent e, String prefix) {
    return LifecycleEvent.newBuilder(e).setActivityId(prefix + e.getActivityId()).build();
  }

  /**
   * A batch's rows reach PostgreSQL as arrays, one per column ({@link FoldedRows}): text that looks
   * like array syntax, or like a null, is stored as it came, and each row keeps its own values.
   */
  @Test
  void textThatLooksLikeArraySyntaxIsStoredAsItCame() throws Exception {
    List<String> texts =
        List.of(
            "{\"a\": [1, 2]}",
            "back\\slash and \"quotes\"",
            "NULL",
            "",
            "a, b, {c}",
            "line one\nline two",
            "über ✓");
    List<LifecycleEvent> batch = new java.util.ArrayList<>();
    List<String> ids = new java.util.ArrayList<>();
    for (String text : texts) {
      String id = UUID.randomUUID().toString();
      ids.add(id);
      batch.add(event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED));
      batch.add(
          LifecycleEvent.newBuilder(event(id, 2, ActivityState.FAILED, ReasonCode.FAILED))
              .setDetail(text)
              .setOutput(text)
              .setExitCode(text.length())
              .build());
    }
    String silent = UUID.randomUUID().toString();
    batch.add(event(silent, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED));

    ledger.apply(batch);

    for (int i = 0; i < texts.size(); i++) {
      var row = ledger.find(ids.get(i)).orElseThrow();
      assertThat(row.detail()).isEqualTo(texts.get(i));
      assertThat(row.result())
          .isEqualTo(new ActivityView.Result(texts.get(i).length(), texts.get(i)));
    }
    var row = ledger.find(silent).orElseThrow();
    assertThat(row.detail()).isNull();
    assertThat(row.result()).isNull();
  }

  /**
   * The ledger's times are instants, whatever zone the database session is in: an hour a clock goes
   * through twice (Berlin, the night of 25 October 2026) keeps its two instants apart.
   */
  @Test
  void timesInTheHourAClockRepeatsStayTheInstantsTheyWere() throws Exception {
    try (HikariDataSource berlin = new HikariDataSource()) {
      berlin.setJdbcUrl(db.getJdbcUrl());
      berlin.setUsername(db.getUsername());
      berlin.setConnectionInitSql("SET TIME ZONE 'Europe/Berlin'");
      Ledger inBerlin = new Ledger(berlin);
      Instant summer = Instant.parse("2026-10-25T00:30:00.123Z"); // 02:30:00.123 CEST
      Instant winter = Instant.parse("2026-10-25T01:30:00.123Z"); // 02:30:00.123 CET
      String first = UUID.randomUUID().toString();
      String second = UUID.randomUUID().toString();

      inBerlin.apply(
          List.of(
              LifecycleEvent.newBuilder(
                      event(first, 1, ActivityState.SUCCEEDED, ReasonCode.SUCCEEDED))
                  .setAcceptedAt(summer)
                  .setOccurredAt(summer)
                  .build(),
              LifecycleEvent.newBuilder(
                      event(second, 1, ActivityState.SUCCEEDED, ReasonCode.SUCCEEDED))
                  .setAcceptedAt(winter)
                  .setOccurredAt(winter)
                  .build()));

      assertThat(ledger.find(first).orElseThrow().finishedAt()).isEqualTo(summer);
      assertThat(ledger.find(first).orElseThrow().createdAt()).isEqualTo(summer);
      assertThat(ledger.find(second).orElseThrow().finishedAt()).isEqualTo(winter);
      assertThat(ledger.find(second).orElseThrow().createdAt()).isEqualTo(winter);
    }
  }

  /**
   * The transitions before an activity's end change no indexed column, so PostgreSQL makes them
   * heap-only updates: no new index entries, no index bloat to vacuum.
   */
  @Test
  void theTransitionsBeforeTheEndAreHeapOnlyUpdates() throws Exception {
    String id = UUID.randomUUID().toString();
    ledger.apply(List.of(event(id, 1, ActivityState.QUEUED, ReasonCode.ACCEPTED)));
    long before = heapOnlyUpdates();

    ledger.apply(List.of(event(id, 2, ActivityState.RELEASED, ReasonCode.RELEASED)));
    ledger.apply(List.of(event(id, 3, ActivityState.DELIVERED, ReasonCode.DELIVERED)));

    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (heapOnlyUpdates() < before + 2 && System.nanoTime() < deadline) {
      Thread.sleep(100); // the statistics reach other sessions within about a second
    }
    assertThat(heapOnlyUpdates()).isGreaterThanOrEqualTo(before + 2);
  }

  private static long heapOnlyUpdates() throws Exception {
    try (var c = db.getConnection();
        var s = c.createStatement();
        var r =
            s.executeQuery(
                "SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'activities'")) {
      r.next();
      return r.getLong(1);
    }
  }
}
