package dev.lineup.intake.frontdoor;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.Command;
import dev.lineup.intake.admission.ActivityClaims;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.schemas.Commands;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import dev.lineup.service.health.Readiness;
import dev.lineup.service.kafka.Failures;
import dev.lineup.service.kafka.GroupMembership;
import dev.lineup.service.kafka.ProducerSettings;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
 */
@Context
public final class RequestFrontDoor implements Readiness, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RequestFrontDoor.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  private final ActivityValidator validator;
  private final ActivityClaims claims;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean polled = new AtomicBoolean(false);
  private final AtomicReference<String> stalledBy = new AtomicReference<>();
  private final Thread thread;

  public RequestFrontDoor(
      ActivityValidator validator,
      ActivityClaims claims,
      ProducerSettings producerSettings,
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.intake.front-door.group-id}") String groupId,
      @Value("${lineup.intake.instance-id}") String instanceId) {
    this.validator = validator;
    this.claims = claims;
    Map<String, Object> config = GroupMembership.member(bootstrapServers, groupId, instanceId);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    producer =
        new KafkaProducer<>(
            producerSettings.transactional(
                bootstrapServers, "lineup-intake-front-door-" + instanceId, null, null, null),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    producer.initTransactions();
    consumer.subscribe(List.of(Topics.REQUESTS.name()));
    thread = new Thread(this::run, "request-front-door");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    Duration backoff = FIRST_BACKOFF;
    try {
      while (running.get()) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(200));
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) {
          // The broker away, or a fetch that failed: poll again after a pause, never die.
          stalledBy.set(Failures.describe(e, 1_000));
          Thread.sleep(backoff.toMillis());
          backoff =
              backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                  ? MAX_BACKOFF
                  : backoff.multipliedBy(2);
          continue;
        }
        polled.set(true);
        if (records.isEmpty()) {
          // Nothing read again is waiting: whatever held the door up has passed.
          if (stalledBy.getAndSet(null) != null) {
            LOG.info("request front door: recovered");
          }
          continue;
        }
        try {
          producer.beginTransaction();
          admitAll(records);
          Map<TopicPartition, OffsetAndMetadata> next =
              records.partitions().stream()
                  .collect(
                      Collectors.toMap(
                          p -> p,
                          p -> {
                            var inPartition = records.records(p);
                            return new OffsetAndMetadata(
                                inPartition.get(inPartition.size() - 1).offset() + 1);
                          }));
          producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
          producer.commitTransaction();
          if (stalledBy.getAndSet(null) != null) {
            LOG.info("request front door: recovered");
          }
          backoff = FIRST_BACKOFF;
        } catch (WakeupException e) {
          throw e;
        } catch (Exception e) {
          // Only transient failures get here (admitOrRefuse dead-letters the others): the broker
          // or the database is away. Abort, and read the batch again once it is back.
          if (stalledBy.getAndSet(Failures.describe(e, 1_000)) == null) {
            LOG.warn(
                "request front door: {}; retrying with backoff (health is down meanwhile)",
                stalledBy.get());
          }
          abortQuietly();
          rewind(records);
          Thread.sleep(backoff.toMillis());
          backoff =
              backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                  ? MAX_BACKOFF
                  : backoff.multipliedBy(2);
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      consumer.close(Duration.ofSeconds(5));
      producer.close(Duration.ofSeconds(5));
    }
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
  private void admitAll(ConsumerRecords<byte[], byte[]> records) throws Exception {
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
    for (Admission admission : admissions) {
      if (admission.activity() == null) {
        deadLetter(admission.record(), admission.refused());
        continue;
      }
      enqueue(admission, decided.next());
    }
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
  private void enqueue(Admission admission, ActivityClaims.Claim claim) {
    ConsumerRecord<byte[], byte[]> record = admission.record();
    Activity activity = admission.activity();
    if (claim.outcome() == ActivityClaims.Outcome.CONFLICT) {
      deadLetter(
          record,
          ActivityClaims.ID_CONFLICT
              + ": activity "
              + activity.getActivityId()
              + " belongs to another host; an id is never reused across hosts");
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
    producer.send(
        new ProducerRecord<>(
            Topics.COMMANDS.name(),
            Topics.COMMANDS
                .keySerde()
                .serializer()
                .serialize(Topics.COMMANDS.name(), activity.getHostId()),
            Topics.COMMANDS.valueSerde().serializer().serialize(Topics.COMMANDS.name(), command)));
  }

  private void abortQuietly() {
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      LOG.debug("request front door: abort failed", e);
    }
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
    var dead =
        DeadLetterHeaders.deadLetter(
            Topics.REQUESTS_DLQ.name(),
            record.key(),
            record.value(),
            reason,
            record.topic(),
            record.partition(),
            record.offset(),
            "request-front-door");
    producer.send(dead);
    LOG.info(
        "request {}-{}@{} refused: {}",
        record.topic(),
        record.partition(),
        record.offset(),
        reason);
  }

  private void rewind(ConsumerRecords<byte[], byte[]> records) {
    Map<TopicPartition, Long> first = new HashMap<>();
    for (TopicPartition p : records.partitions()) {
      first.put(p, records.records(p).get(0).offset());
    }
    first.forEach(consumer::seek);
  }

  @Override
  public String name() {
    return "request-front-door";
  }

  /** Consuming, and not held up by an unreachable broker or database. */
  @Override
  public boolean ready() {
    return polled.get() && thread.isAlive() && stalledBy.get() == null;
  }

  @PreDestroy
  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
