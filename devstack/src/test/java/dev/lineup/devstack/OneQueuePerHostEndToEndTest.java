package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.Topics;
import io.micronaut.json.JsonMapper;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole path on a real broker and a real PostgreSQL: an activity POSTed to intake reaches
 * lineup.commands, the sequencer releases it to its channel topic, and a result on lineup.results
 * (written as a device gateway would) releases the next one for that host.
 */
@ExtendWith(LineupInfrastructure.class)
class OneQueuePerHostEndToEndTest {

  private static final String ADMIN = "e2e-admin-token-0123456789";
  private static LineupServices services;
  private static LineupClient intake;
  private static KafkaProducer<String, ActivityResult> device;
  private static KafkaConsumer<String, ReleasedActivity> scripts;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("e2e-state"),
                ADMIN,
                "e2e-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    intake =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
    device =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            Topics.RESULTS.keySerde().serializer(),
            Topics.RESULTS.valueSerde().serializer());
    scripts =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            Topics.RELEASED_SCRIPT.keySerde().deserializer(),
            Topics.RELEASED_SCRIPT.valueSerde().deserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < LineupInfrastructure.TEST_PARTITIONS; p++) {
      partitions.add(new TopicPartition(Topics.RELEASED_SCRIPT.name(), p));
    }
    scripts.assign(partitions);
    scripts.seekToBeginning(partitions);
  }

  @AfterAll
  static void stop() {
    if (scripts != null) {
      scripts.close();
    }
    if (device != null) {
      device.close();
    }
    if (services != null) {
      services.close();
    }
  }

  @Test
  void threeActivitiesForOneHostComeOutOneAtATimeInOrderEachAfterThePreviousResult()
      throws Exception {
    String host = "e2e-host-" + UUID.randomUUID();
    List<String> enqueued = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      var answer =
          intake.post(
              "/v1/hosts/" + host + "/activities",
              "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo step " + i + "\"}}");
      assertThat(answer.status()).isEqualTo(202);
      assertThat(answer.text("state")).isEqualTo("REQUESTED");
      enqueued.add(answer.text("activity_id"));
    }

    List<String> released = new ArrayList<>();
    for (String expected : enqueued) {
      ReleasedActivity next = nextRelease(host);
      released.add(next.getActivity().getActivityId());
      assertThat(next.getActivity().getActivityId()).isEqualTo(expected);
      // Nothing else of this host comes out while this one has no result.
      assertThat(releasesWithin(host, Duration.ofSeconds(1))).isEmpty();
      succeed(next);
    }
    assertThat(released).containsExactlyElementsOf(enqueued);

    for (String id : enqueued) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(intake.get("/v1/activities/" + id).text("state"))
                      .isEqualTo("SUCCEEDED"));
    }
    var last = intake.get("/v1/activities/" + enqueued.get(2));
    assertThat(last.body()).containsKeys("released_at", "finished_at");
    @SuppressWarnings("unchecked")
    Map<String, Object> result = (Map<String, Object>) last.body().get("result");
    assertThat(result).containsEntry("exit_code", 0);
  }

  @Test
  void eachServiceContextSeesOnlyItsOwnBeans() {
    assertThat(services.sequencer().containsBean(dev.lineup.sequencer.SequencerRuntime.class))
        .isTrue();
    assertThat(services.intake().containsBean(dev.lineup.sequencer.SequencerRuntime.class))
        .isFalse();
    assertThat(services.gateway().containsBean(dev.lineup.sequencer.SequencerRuntime.class))
        .isFalse();
    assertThat(services.intake().containsBean(dev.lineup.intake.ledger.LedgerProjection.class))
        .isTrue();
    assertThat(services.sequencer().containsBean(dev.lineup.intake.ledger.LedgerProjection.class))
        .isFalse();
    assertThat(services.gateway().containsBean(dev.lineup.gateway.delivery.ReleasedConsumer.class))
        .isTrue();
    assertThat(services.intake().containsBean(dev.lineup.gateway.delivery.ReleasedConsumer.class))
        .isFalse();
  }

  private ReleasedActivity nextRelease(String host) {
    Instant deadline = Instant.now().plusSeconds(30);
    while (Instant.now().isBefore(deadline)) {
      List<ReleasedActivity> got = releasesWithin(host, Duration.ofMillis(500));
      if (!got.isEmpty()) {
        assertThat(got).as("one release at a time").hasSize(1);
        return got.get(0);
      }
    }
    throw new AssertionError("no release for " + host + " within 30 s");
  }

  private List<ReleasedActivity> releasesWithin(String host, Duration wait) {
    List<ReleasedActivity> got = new ArrayList<>();
    Instant until = Instant.now().plus(wait);
    while (Instant.now().isBefore(until)) {
      scripts
          .poll(Duration.ofMillis(100))
          .forEach(
              r -> {
                if (host.equals(r.key())) {
                  got.add(r.value());
                }
              });
    }
    return got;
  }

  private void succeed(ReleasedActivity released) throws Exception {
    var a = released.getActivity();
    device
        .send(
            new ProducerRecord<>(
                Topics.RESULTS.name(),
                a.getHostId(),
                Results.succeeded(released, Instant.now()).setOutput("ok").build()))
        .get();
  }
}
