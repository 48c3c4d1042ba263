package dev.lineup.intake.frontdoor;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.Command;
import dev.lineup.intake.admission.ActivityClaims;
import dev.lineup.intake.admission.SecretReferencing;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.schemas.Commands;
import dev.lineup.schemas.Topics;
import dev.lineup.service.health.Readiness;
import dev.lineup.service.kafka.DownstreamLag;
import dev.lineup.service.kafka.Failures;
import dev.lineup.service.kafka.FetchGathering;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.kafka.ProducerSettings;
import dev.lineup.service.kafka.TransactionalLoop;
import dev.lineup.service.metrics.Instrumented;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka front door: requests from {@code lineup.requests}, validated like HTTP ones, become
 * enqueue commands; a record that cannot be decoded or fails validation goes to {@code
 * lineup.requests.dlq} with the reason, source topic, partition and offset in headers, and the door
 * keeps going. Like every front door it claims each activity id first ({@link ActivityClaims}): an
 * id of another host is dead-lettered ({@code ID_CONFLICT}), a resend within the idempotency window
 * is a no-op. Commands, dead letters and the consumed offsets commit in one transaction, so a crash
 * neither loses nor repeats a request.
 *
 * <p>Under overload it holds back ({@link DownstreamLag}): while the sequencer is more than {@code
 * lineup.intake.front-door.hold-back-at} commands behind on {@code lineup.commands}, or more than
 * it takes in over {@code hold-back-time} at its recent rate, the door reads no more requests,
 * which wait on {@code lineup.requests}. The commands topic stays short, so what reaches it by
 * another way (an enqueue on HTTP, an urgent lock) does not wait behind a flood of bulk requests,
 * and the sequencer, which takes every command it holds before it reads the next results, keeps
 * releasing work: with a long commands topic the results wait behind it, each host's hand-off with
 * them, and the rate falls by half past capacity (docs/BENCHMARKS.md, finding 64).
 */
@Context
public final class RequestFrontDoor implements Readiness, Instrumented, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RequestFrontDoor.class);
  private static final String NAME = "request-front-door";
  private static final int MAX_BATCH = 500;

  private final ActivityValidator validator;
  private final ActivityClaims claims;
  private final SecretReferencing secrets;
  private final TransactionalLoop loop;
  private final DownstreamLag sequencerLag;

  public RequestFrontDoor(
      ActivityValidator validator,
      ActivityClaims claims,
      SecretReferencing secrets,
      ProducerSettings producerSettings,
      KafkaConnection kafka,
      @Value("${lineup.intake.front-door.group-id}") String groupId,
      @Value("${lineup.intake.front-door.gather}") Duration gather,
      @Value("${lineup.intake.front-door.hold-back-at}") long holdBackAt,
      @Value("${lineup.intake.front-door.hold-back-time}") Duration holdBackTime,
      @Value("${lineup.intake.front-door.hold-back-check}") Duration holdBackCheck,
      @Value("${lineup.intake.front-door.sequencer-group}") String sequencerGroup,
      @Value("${lineup.intake.instance-id}") String instanceId) {
    checkHoldBackAt(holdBackAt);
    checkHoldBackCheck(holdBackCheck);
    checkHoldBackTime(holdBackTime);
    this.validator = validator;
    this.claims = claims;
    this.secrets = secrets;
    // Each poll is a transaction and a claim round trip: under a steady trickle, gathering a
    // batch first costs the broker and the database far less (docs/BENCHMARKS.md, finding 35).
    // A request is a few hundred bytes on the wire, more with an inline script.
    Map<String, Object> config =
        FetchGathering.gather(
            GroupMembership.member(kafka, groupId, instanceId), MAX_BATCH, 300, gather);
    // Before the loop: a lag reader that cannot be made must not leave the loop's clients open.
    sequencerLag =
        holdBackAt == 0
            ? null
            : new DownstreamLag(
                NAME,
                kafka,
                sequencerGroup,
                Topics.COMMANDS.name(),
                holdBackAt,
                holdBackTime,
                holdBackCheck);
    loop =
        new TransactionalLoop(
            NAME,
            config,
            producerSettings.transactional(
                kafka, "lineup-intake-front-door-" + instanceId, null, null, null),
            Topics.REQUESTS,
            Topics.REQUESTS_DLQ,
            this::admitAll);
    if (sequencerLag != null) {
      loop.holdBackWhile(sequencerLag::holdsBack);
    }
    loop.start();
  }

  /** A request read, validated, and ready to be claimed; or refused, with the reason. */
  private record Admission(
      ConsumerRecord<byte[], byte[]> record, Activity activity, boolean preempt, String refused) {}

  /**
   * The polled requests, in order: each validated alone (rule 14: one that fails for a reason of
   * its own is dead-lettered with it), then every valid one's id claimed in one database round trip
   * (rule 17), then enqueue commands and dead letters written in this transaction. A transient
   * failure propagates, so the whole batch is read again.
   */
  private void admitAll(ConsumerRecords<byte[], byte[]> records, TransactionalLoop.Output out)
      throws Exception {
    List<Admission> admissions = new ArrayList<>(records.count());
    List<ActivityClaims.Wanted> wanted = new ArrayList<>();
    List<String> origins = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      Admission admission;
      try {
        admission = validate(record);
      } catch (Exception e) {
        if (Failures.isTransient(e)) {
          throw e;
        }
        admission = new Admission(record, null, false, "refused: " + Failures.describe(e, 1_000));
      }
      admissions.add(admission);
      if (admission.activity() != null) {
        wanted.add(
            new ActivityClaims.Wanted(
                admission.activity().getActivityId(), admission.activity().getHostId()));
        // Named after the record, so the same record read again (its transaction aborted) is
        // admitted again rather than taken for a resend of itself.
        origins.add(
            "requests:" + record.topic() + ":" + record.partition() + ":" + record.offset());
      }
    }
    Iterator<ActivityClaims.Claim> decided = claims.claimEach(wanted, origins).iterator();
    List<Activity> admitted = new ArrayList<>();
    for (Admission admission : admissions) {
      if (admission.activity() == null) {
        deadLetter(admission.record(), admission.refused(), out);
        continue;
      }
      ActivityClaims.Claim claim = decided.next();
      if (claim.outcome() == ActivityClaims.Outcome.ADMITTED) {
        admitted.add(admission.activity());
      }
      enqueue(admission, claim, out);
    }
    // Before the transaction commits the enqueues (CONTRACT.md, Secrets: deleting a secret). A
    // secret deleted since this poll's validation is not refused here: its task's script fetch
    // answers 409 and the attempt fails (docs/ARCHITECTURE.md, Secrets).
    secrets.record(admitted);
  }

  /** One request decoded and validated: an activity, or the reason it is refused. */
  private Admission validate(ConsumerRecord<byte[], byte[]> record) throws Exception {
    ActivityRequest request;
    try {
      request =
          Topics.REQUESTS.valueSerde().deserializer().deserialize(record.topic(), record.value());
      if (request == null) {
        throw new SerializationException("a request needs a value");
      }
    } catch (RuntimeException e) {
      // Any exception from decoding is the record's own (rule 14), not only SerializationException:
      // letting one escape would abort the transaction and read the same record again, forever.
      return new Admission(record, null, false, "undecodable: " + Failures.describe(e, 1_000));
    }
    try {
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      Activity activity =
          validator.validate(request.getHostId(), RequestTranslation.toDraft(request), now);
      return new Admission(record, activity, request.getPreempt(), null);
    } catch (ApiException e) {
      Problem problem = e.problem();
      String fields =
          problem.errors() == null
              ? ""
              : problem.errors().stream()
                  .map(f -> f.field() + ": " + f.message())
                  .collect(Collectors.joining("; "));
      return new Admission(
          record,
          null,
          false,
          "invalid: " + problem.detail() + (fields.isEmpty() ? "" : " (" + fields + ")"));
    }
  }

  /** A claimed request: its enqueue command, a no-op for a resend, or a dead letter. */
  private void enqueue(
      Admission admission, ActivityClaims.Claim claim, TransactionalLoop.Output out) {
    ConsumerRecord<byte[], byte[]> record = admission.record();
    Activity activity = admission.activity();
    if (claim.outcome() == ActivityClaims.Outcome.CONFLICT) {
      deadLetter(
          record,
          ActivityClaims.ID_CONFLICT
              + ": activity "
              + activity.getActivityId()
              + " belongs to another host; an id is never reused across hosts",
          out);
      return;
    }
    if (claim.outcome() == ActivityClaims.Outcome.RESENT) {
      // Enqueued before, within the idempotency window: a no-op, as on HTTP.
      LOG.info(
          "request {}-{}@{}: activity {} was enqueued before; a no-op",
          record.topic(),
          record.partition(),
          record.offset(),
          activity.getActivityId());
      return;
    }
    Command command = Commands.enqueue(activity, admission.preempt());
    out.send(
        new ProducerRecord<>(
            Topics.COMMANDS.name(),
            Topics.COMMANDS
                .keySerde()
                .serializer()
                .serialize(Topics.COMMANDS.name(), activity.getHostId()),
            Topics.COMMANDS.valueSerde().serializer().serialize(Topics.COMMANDS.name(), command)));
  }

  private void deadLetter(
      ConsumerRecord<byte[], byte[]> record, String reason, TransactionalLoop.Output out) {
    out.deadLetter(record, reason);
    LOG.info(
        "request {}-{}@{} refused: {}",
        record.topic(),
        record.partition(),
        record.offset(),
        reason);
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Consuming, and not held up by an unreachable broker or database. */
  @Override
  public boolean ready() {
    return loop.ready();
  }

  @Override
  public void instrument(MeterRegistry registry) {
    loop.instrument(registry);
  }

  @PreDestroy
  @Override
  public void close() {
    loop.close();
    if (sequencerLag != null) {
      sequencerLag.close();
    }
  }

  /**
   * {@code lineup.intake.front-door.hold-back-at} is 0 (never hold back) or at least 2. A negative
   * limit read as "never" would silently drop the push-back the operator meant to set: intake
   * refuses to start instead, naming the setting.
   */
  static void checkHoldBackAt(long holdBackAt) {
    if (holdBackAt != 0 && holdBackAt < 2) {
      throw new IllegalArgumentException(
          "lineup.intake.front-door.hold-back-at is "
              + holdBackAt
              + ": it must be 0 (never hold back) or at least 2 commands");
    }
  }

  /** The part of the limit scaled by the sequencer's rate: 0 (none) or more. */
  static void checkHoldBackTime(Duration holdBackTime) {
    if (holdBackTime.isNegative()) {
      throw new IllegalArgumentException(
          "lineup.intake.front-door.hold-back-time is negative: it must be 0 or more");
    }
  }

  /** How often the sequencer's lag is read: a time of at least a millisecond. */
  static void checkHoldBackCheck(Duration holdBackCheck) {
    if (holdBackCheck.toMillis() < 1) {
      throw new IllegalArgumentException(
          "lineup.intake.front-door.hold-back-check is "
              + holdBackCheck.toMillis()
              + "ms: it must be at least 1ms");
    }
  }
}
