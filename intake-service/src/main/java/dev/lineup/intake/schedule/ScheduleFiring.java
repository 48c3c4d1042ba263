package dev.lineup.intake.schedule;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ReasonCode;
import dev.lineup.intake.admission.Admission;
import dev.lineup.intake.api.EnqueueRequest;
import dev.lineup.intake.publish.EventPublisher;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.Rejection;
import dev.lineup.service.kafka.Failures;
import dev.lineup.service.metrics.Instrumented;
import dev.lineup.service.problem.ApiException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Value;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires the schedules that are due (CONTRACT.md, Schedules). Each poll locks a batch of due rows
 * ({@code FOR UPDATE SKIP LOCKED}, so intake instances share the work), fires each, and writes its
 * next slot in the same transaction.
 *
 * <p>A firing is exactly once: its activity id derives from the schedule id and the slot, and its
 * claim's origin too, so a firing repeated after a crash (enqueued, but the row not yet moved on)
 * publishes the same activity again, which the sequencer takes as a duplicate (rule 12). A firing
 * while the previous firing's activity has not ended is skipped, with a REJECTED event ({@code
 * SCHEDULE_SKIPPED}) on {@code lineup.events}: a silent host holds at most one activity of each
 * schedule. The check reads the ledger, which may lag the sequencer by a moment; a lag can only
 * make it skip a firing whose previous activity had just ended, never let two run.
 *
 * <p>Rule 14: a schedule whose activity no longer validates (its script deleted from the content
 * store, say) records why in {@code last_error} and moves on to its next slot; an unreachable
 * broker or database rolls the batch back, and the next poll tries it again.
 */
@Singleton
public final class ScheduleFiring implements Instrumented {

  private static final Logger LOG = LoggerFactory.getLogger(ScheduleFiring.class);

  private final DataSource db;
  private final Schedules schedules;
  private final ActivityValidator validator;
  private final Admission admission;
  private final EventPublisher events;
  private final JsonMapper json;
  private final int batchSize;
  private volatile boolean failing;
  private volatile Counter enqueued;
  private volatile Counter skipped;
  private volatile Counter refused;

  public ScheduleFiring(
      DataSource db,
      Schedules schedules,
      ActivityValidator validator,
      Admission admission,
      EventPublisher events,
      JsonMapper json,
      @Value("${lineup.intake.schedules.batch-size}") int batchSize) {
    this.db = db;
    this.schedules = schedules;
    this.validator = validator;
    this.admission = admission;
    this.events = events;
    this.json = json;
    this.batchSize = batchSize;
    // Counting nowhere until the service binds its registry at startup.
    instrument(new io.micrometer.core.instrument.composite.CompositeMeterRegistry());
  }

  @Override
  public void instrument(MeterRegistry registry) {
    enqueued = counter(registry, "enqueued");
    skipped = counter(registry, "skipped");
    refused = counter(registry, "failed");
  }

  private static Counter counter(MeterRegistry registry, String outcome) {
    return Counter.builder("lineup.schedule.firings")
        .description(
            "Schedule firings: enqueued, skipped (the previous activity had not ended) or failed"
                + " (the activity no longer valid)")
        .tag("outcome", outcome)
        .register(registry);
  }

  /** The activity a schedule's firing at {@code slot} enqueues: the same for every retry of it. */
  public static String activityId(String scheduleId, Instant slot) {
    return UUID.nameUUIDFromBytes(
            ("lineup-schedule:" + scheduleId + ":" + slot.toEpochMilli())
                .getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  @Scheduled(
      fixedDelay = "${lineup.intake.schedules.poll-interval}",
      initialDelay = "${lineup.intake.schedules.poll-interval}")
  void poll() {
    try {
      fireDue(Instant.now());
      if (failing) {
        failing = false;
        LOG.info("Schedules fire again");
      }
    } catch (Exception e) {
      if (!failing) {
        failing = true;
        LOG.warn(
            "Schedules cannot fire, retrying at every poll: {}",
            Failures.describe(e, Failures.MAX_REASON));
      }
    }
  }

  /**
   * Fires every schedule due at {@code now}, batch after batch; returns how many were due. Tests
   * call it with a clock of their own.
   */
  public int fireDue(Instant now) throws SQLException {
    Instant at = now.truncatedTo(ChronoUnit.MILLIS);
    int total = 0;
    while (true) {
      int due = fireBatch(at);
      total += due;
      if (due < batchSize) {
        return total;
      }
    }
  }

  private int fireBatch(Instant now) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        List<Schedules.Schedule> due = schedules.lockDue(c, now, batchSize);
        List<Schedules.Fired> fired = new ArrayList<>(due.size());
        for (Schedules.Schedule s : due) {
          fired.add(fire(s, now));
        }
        schedules.recordFirings(c, fired);
        c.commit();
        return due.size();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private Schedules.Fired fire(Schedules.Schedule s, Instant now) throws SQLException {
    Instant slot = s.nextFireAt();
    if (s.recurrence() == null) {
      String error =
          "its recurrence (every "
              + s.every()
              + ", cron "
              + s.cron()
              + ", time zone "
              + s.timeZone()
              + ") no longer parses, so it is paused; delete it and create it again";
      LOG.warn("Schedule {} of host {}: {}", s.scheduleId(), s.hostId(), error);
      refused.increment();
      return new Schedules.Fired(s.scheduleId(), slot, null, now, false, error, true);
    }
    Instant next = s.recurrence().next(now.isAfter(slot) ? now : slot);
    String activityId = activityId(s.scheduleId(), slot);
    EnqueueRequest body;
    Activity activity;
    try {
      body = json.readValue(s.activityJson(), EnqueueRequest.class).withActivityId(activityId);
      // Accepted "at" its slot: a firing repeated after a crash is then the same activity to the
      // ledger too, whose REQUESTED row a later acceptance would take for a new run.
      activity = validator.validate(s.hostId(), EnqueueRequest.draft(body), slot);
    } catch (ApiException e) {
      if (e.status().getCode() >= 500) {
        throw e;
      }
      return failed(s, next, now, e);
    } catch (java.io.IOException e) {
      return failed(s, next, now, e);
    }
    if (s.lastActivityId() != null
        && s.lastState() != null
        && !Lifecycle.isTerminal(Lifecycle.state(s.lastState()))) {
      events.publish(
          Rejection.of(
              activity,
              ReasonCode.SCHEDULE_SKIPPED,
              "schedule "
                  + s.scheduleId()
                  + ": its previous activity "
                  + s.lastActivityId()
                  + " is still "
                  + s.lastState(),
              now));
      skipped.increment();
      return new Schedules.Fired(s.scheduleId(), next, null, now, true, null, false);
    }
    try {
      admission.enqueue(
          activity,
          Boolean.TRUE.equals(body.preempt()),
          "schedule:" + s.scheduleId() + ":" + slot.toEpochMilli());
    } catch (ApiException e) {
      if (e.status().getCode() >= 500) {
        throw e;
      }
      return failed(s, next, now, e);
    }
    enqueued.increment();
    return new Schedules.Fired(s.scheduleId(), next, activityId, now, false, null, false);
  }

  /** A firing whose activity is refused: recorded, logged once per new reason, and passed. */
  private Schedules.Fired failed(Schedules.Schedule s, Instant next, Instant now, Exception e) {
    String error = "the activity was refused: " + reason(e);
    if (!error.equals(s.lastError())) {
      LOG.warn("Schedule {} of host {} cannot enqueue: {}", s.scheduleId(), s.hostId(), error);
    }
    refused.increment();
    return new Schedules.Fired(s.scheduleId(), next, null, now, false, error, false);
  }

  private static String reason(Exception e) {
    List<dev.lineup.service.problem.Problem.FieldError> fields =
        e instanceof ApiException api ? api.problem().errors() : null;
    if (fields != null && !fields.isEmpty()) {
      return fields.stream()
          .map(f -> f.field() + " " + f.message())
          .collect(Collectors.joining("; "));
    }
    return Failures.describe(e, Failures.MAX_REASON);
  }
}
