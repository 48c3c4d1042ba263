package dev.lineup.embedded;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * For tests that play the sequencer's part on the broker: writes records as the sequencer would (or
 * as a broken producer would), waits until a service's consumer group has read past them, and reads
 * what the service wrote back (dead letters, results) with a {@link TopicReader}.
 */
public final class TopicProbe implements AutoCloseable {

  /** How long {@link #awaitConsumed} waits. */
  private static final Duration CONSUMED_WITHIN = Duration.ofSeconds(30);

  private final KafkaProducer<byte[], byte[]> producer;
  private final Admin admin;
  private final TopicReader reader;

  public TopicProbe(String bootstrap) {
    this.producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    this.admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
    this.reader = new TopicReader(bootstrap);
  }

  /** Writes raw bytes, keyed by host id; answers where they went. */
  public RecordMetadata write(String topic, String hostId, byte[] value) throws Exception {
    return producer
        .send(new ProducerRecord<>(topic, hostId.getBytes(StandardCharsets.UTF_8), value))
        .get();
  }

  /** Writes a record in the topic's own encoding. */
  public <V> RecordMetadata write(Topic<String, V> topic, String hostId, V value) throws Exception {
    return write(
        topic.name(), hostId, topic.valueSerde().serializer().serialize(topic.name(), value));
  }

  /** Waits until {@code group} has committed past {@code written}: the service has handled it. */
  public void awaitConsumed(String group, RecordMetadata written) throws Exception {
    TopicPartition partition = new TopicPartition(written.topic(), written.partition());
    long until = System.nanoTime() + CONSUMED_WITHIN.toNanos();
    OffsetAndMetadata at = null;
    while (System.nanoTime() < until) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      at = committed.get(partition);
      if (at != null && at.offset() > written.offset()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        group
            + " did not commit past "
            + partition
            + "@"
            + written.offset()
            + " within "
            + CONSUMED_WITHIN
            + "; committed: "
            + at);
  }

  /** The dead letter that came from {@code source}, once it is there. */
  public ConsumerRecord<byte[], byte[]> awaitDeadLetter(
      String deadLetterTopic, RecordMetadata source) {
    return reader
        .await(
            deadLetterTopic,
            r ->
                source.topic().equals(header(r, DeadLetterHeaders.SOURCE_TOPIC))
                    && Integer.toString(source.partition())
                        .equals(header(r, DeadLetterHeaders.SOURCE_PARTITION))
                    && Long.toString(source.offset())
                        .equals(header(r, DeadLetterHeaders.SOURCE_OFFSET)))
        .get(0);
  }

  /** The first result on lineup.results for the activity that matches, once it is there. */
  public ActivityResult awaitResult(String activityId, Predicate<ActivityResult> match) {
    return reader
        .await(
            Topics.RESULTS,
            r -> r.value().getActivityId().equals(activityId) && match.test(r.value()))
        .get(0)
        .value();
  }

  /** The value of the record's last header {@code name}, or null. */
  public static String header(ConsumerRecord<?, ?> record, String name) {
    return DeadLetterHeaders.read(record.headers(), name);
  }

  /** An activity of {@code type} on {@code host}, accepted now, as the sequencer releases it. */
  public static Activity activity(String host, ActivityType type, Channel channel, Object payload) {
    return Activity.newBuilder()
        .setActivityId(UUID.randomUUID().toString())
        .setHostId(host)
        .setType(type)
        .setChannel(channel)
        .setInitiator(Initiator.newBuilder().build())
        .setAcceptedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .setPayload(payload)
        .build();
  }

  /** Its first release, released now, its lease lapsing at {@code leaseExpiresAt}. */
  public static ReleasedActivity released(Activity activity, Instant leaseExpiresAt) {
    return ReleasedActivity.newBuilder()
        .setActivity(activity)
        .setAttempt(1)
        .setReleasedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .setLeaseExpiresAt(leaseExpiresAt)
        .build();
  }

  /** The event the sequencer writes when the released activity is cancelled. */
  public static LifecycleEvent cancelled(ReleasedActivity released) {
    Activity a = released.getActivity();
    return LifecycleEvent.newBuilder()
        .setEventId(a.getActivityId() + ":9")
        .setActivityId(a.getActivityId())
        .setHostId(a.getHostId())
        .setSequence(9)
        .setState(ActivityState.CANCELLED)
        .setReason(ReasonCode.USER_CANCEL)
        .setOccurredAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .setType(a.getType())
        .setAcceptedAt(a.getAcceptedAt())
        .setAttempt(released.getAttempt())
        .build();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    admin.close(Duration.ofSeconds(5));
  }
}
