package dev.lineup.bench;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Lineup under {@link SteadyLoad}: offers are requests on its Kafka front door ({@code
 * lineup.requests}, the same activity mix as the burst), and simulated devices read the released
 * topics and answer on {@code lineup.results} at once.
 */
final class LineupSteadyTarget implements SteadyLoad.Target {

  private final String bootstrap;
  private final String prefix = "steady-" + UUID.randomUUID().toString().substring(0, 6) + "-";
  private final AtomicBoolean running = new AtomicBoolean(true);
  private KafkaProducer<String, ActivityRequest> requests;
  private Thread devices;

  LineupSteadyTarget(String bootstrap) {
    this.bootstrap = bootstrap;
  }

  @Override
  public String name() {
    return "lineup";
  }

  @Override
  public String host(int h) {
    return prefix + h;
  }

  @Override
  public void start(SteadyLoad.Meter meter) throws Exception {
    requests =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.LINGER_MS_CONFIG,
                5,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            Topics.REQUESTS.keySerde().serializer(),
            Topics.REQUESTS.valueSerde().serializer());
    CountDownLatch listening = new CountDownLatch(1);
    devices = new Thread(() -> devices(meter, listening), "bench-steady-devices");
    devices.start();
    // The first offer waits until the devices hold their partitions, at the topics' ends.
    if (!listening.await(2, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the simulated devices did not join their group in 2 min");
    }
  }

  @Override
  public void offer(int host, int k, String id) {
    String hostId = host(host);
    requests.send(
        new ProducerRecord<>(
            Topics.REQUESTS.name(),
            hostId,
            LineupRun.activity(k).setActivityId(id).setHostId(hostId).build()));
  }

  private void devices(SteadyLoad.Meter meter, CountDownLatch listening) {
    try (KafkaConsumer<String, ReleasedActivity> releases =
            DeviceClients.releases(bootstrap, prefix + "devices");
        KafkaProducer<String, ActivityResult> results = DeviceClients.results(bootstrap)) {
      releases.subscribe(
          DeviceClients.RELEASED,
          new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
              releases.seekToEnd(partitions);
              partitions.forEach(releases::position); // resolve the ends now, before any offer
              listening.countDown();
            }
          });
      while (running.get()) {
        for (var r : releases.poll(Duration.ofMillis(50))) {
          var activity = r.value().getActivity();
          String host = activity.getHostId();
          if (!host.startsWith(prefix)) {
            continue;
          }
          meter.released(
              host,
              activity.getActivityId(),
              System.nanoTime(),
              r.value().getReleasedAt().toEpochMilli());
          results.send(
              new ProducerRecord<>(
                  Topics.RESULTS.name(),
                  host,
                  Results.succeeded(r.value(), Instant.now()).build()));
          meter.answered(host, System.nanoTime());
        }
        results.flush();
      }
    }
  }

  @Override
  public void close() throws Exception {
    running.set(false);
    if (devices != null) {
      devices.join();
    }
    if (requests != null) {
      requests.close();
    }
  }
}
