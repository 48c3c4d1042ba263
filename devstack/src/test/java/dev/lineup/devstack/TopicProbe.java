package dev.lineup.devstack;

import static org.awaitility.Awaitility.await;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * For tests that play the sequencer's part on the broker: writes records as the sequencer would (or
 * as a broken producer would), waits until a service's consumer group has read past them, and reads
 * dead letters.
 */
final class TopicProbe implements AutoCloseable {

  private final String bootstrap;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Admin admin;

  TopicProbe(String bootstrap) {
    this.bootstrap = bootstrap;
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
  }

  /** Writes raw bytes, keyed by host id; answers where they went. */
  RecordMetadata write(String topic, String hostId, byte[] value) throws Exception {
    return producer
        .send(new ProducerRecord<>(topic, hostId.getBytes(StandardCharsets.UTF_8), value))
        .get();
  }

  /** Writes a record in the topic's own encoding. */
  <V> RecordMetadata write(Topic<String, V> topic, String hostId, V value) throws Exception {
    return write(
        topic.name(), hostId, topic.valueSerde().serializer().serialize(topic.name(), value));
  }

  /** Waits until {@code group} has committed past {@code written}: the service has handled it. */
  void awaitConsumed(String group, RecordMetadata written) {
    TopicPartition partition = new TopicPartition(written.topic(), written.partition());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              Map<TopicPartition, OffsetAndMetadata> committed =
                  admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
              OffsetAndMetadata at = committed.get(partition);
              return at != null && at.offset() > written.offset();
            });
  }

  /** Waits until {@code group} has committed up to the end of every partition of {@code topic}. */
  void awaitCaughtUp(String group, String topic) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              var partitions =
                  admin
                      .describeTopics(List.of(topic))
                      .allTopicNames()
                      .get()
                      .get(topic)
                      .partitions()
                      .stream()
                      .map(p -> new TopicPartition(topic, p.partition()))
                      .toList();
              var ends =
                  admin
                      .listOffsets(
                          partitions.stream()
                              .collect(
                                  java.util.stream.Collectors.toMap(
                                      p -> p, p -> OffsetSpec.latest())))
                      .all()
                      .get();
              Map<TopicPartition, OffsetAndMetadata> committed =
                  admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
              return partitions.stream()
                  .allMatch(
                      p ->
                          ends.get(p).offset() == 0
                              || (committed.get(p) != null
                                  && committed.get(p).offset() >= ends.get(p).offset()));
            });
  }

  /** The dead letter that came from {@code source}, once it is there. */
  ConsumerRecord<byte[], byte[]> awaitDeadLetter(String deadLetterTopic, RecordMetadata source) {
    List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "probe-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(deadLetterTopic));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                  if (source.topic().equals(header(r, "lineup.dlq.source.topic"))
                      && Integer.toString(source.partition())
                          .equals(header(r, "lineup.dlq.source.partition"))
                      && Long.toString(source.offset())
                          .equals(header(r, "lineup.dlq.source.offset"))) {
                    found.add(r);
                  }
                }
                return !found.isEmpty();
              });
    }
    return found.get(0);
  }

  /** The first result on lineup.results for the activity that matches, once it is there. */
  ActivityResult awaitResult(
      String activityId, java.util.function.Predicate<ActivityResult> match) {
    List<ActivityResult> found = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "probe-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(Topics.RESULTS.name()));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                  ActivityResult result =
                      Topics.RESULTS.valueSerde().deserializer().deserialize(r.topic(), r.value());
                  if (result.getActivityId().equals(activityId) && match.test(result)) {
                    found.add(result);
                  }
                }
                return !found.isEmpty();
              });
    }
    return found.get(0);
  }

  static String header(ConsumerRecord<?, ?> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** An activity of {@code type} on {@code host}, accepted now, as the sequencer releases it. */
  static Activity activity(String host, ActivityType type, Channel channel, Object payload) {
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

  /** Its first release, with a lease of {@code lease} from now. */
  static ReleasedActivity released(Activity activity, Instant leaseExpiresAt) {
    return ReleasedActivity.newBuilder()
        .setActivity(activity)
        .setAttempt(1)
        .setReleasedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .setLeaseExpiresAt(leaseExpiresAt)
        .build();
  }

  /** The event the sequencer writes when the released activity is cancelled. */
  static LifecycleEvent cancelled(ReleasedActivity released) {
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

  /** The topic a released activity goes to. */
  static Topic<String, ReleasedActivity> topicOf(ReleasedActivity released) {
    return Topics.released(released.getActivity().getChannel());
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    admin.close(Duration.ofSeconds(5));
  }
}
