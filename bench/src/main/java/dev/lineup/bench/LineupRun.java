package dev.lineup.bench;

import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.InlineScriptRunPayload;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.avro.Platform;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.SoftwareInstallPayload;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The workload through Lineup: H hosts x K activities written to intake's Kafka front door
 * (lineup.requests) - mostly scripts, every fifth a software install, every seventh an MDM command;
 * the first quarter of each host's activities at a higher priority; every 50th host has its last
 * activity cancelled over HTTP and every 100th host gets a preempting lock at the end. Simulated
 * devices answer every release on lineup.results, at once or after a set delay.
 *
 * <p>Measures completed activities per second and the hand-off latency (a device's result written
 * -> that host's next activity released, as the device sees it), split at the sequencer's release
 * into "to the sequencer" and "to the device". Checks the contract while it runs: per host,
 * releases follow the order written (an activity skipped must end cancelled) and never two in
 * flight; every activity ends exactly once, and only cancelled ones end other than succeeded.
 */
final class LineupRun {

  record Outcome(
      long activities,
      double seconds,
      Histogram handoff,
      Histogram toSequencer,
      Histogram toDevice,
      Histogram accepted,
      Timeline timeline) {
    double perSecond() {
      return activities / seconds;
    }
  }

  /** A run that sees no event for this long has stalled: it fails rather than waits. */
  private static final Duration STALL = Duration.ofSeconds(60);

  private static final Duration REPORT_EVERY = Duration.ofSeconds(5);

  private static final Initiator USER =
      Initiator.newBuilder().setKind(InitiatorKind.USER).setActorId("bench").build();

  private final String bootstrap;
  private final URI intake;
  private final String token;
  private final int hosts;
  private final int perHost;
  private final Duration deviceDelay;

  LineupRun(
      String bootstrap, URI intake, String token, int hosts, int perHost, Duration deviceDelay) {
    this.bootstrap = bootstrap;
    this.intake = intake;
    this.token = token;
    this.hosts = hosts;
    this.perHost = perHost;
    this.deviceDelay = deviceDelay;
  }

  /** The activity at write position k of a host: its type and payload. */
  static ActivityRequest.Builder activity(int k) {
    ActivityRequest.Builder request = ActivityRequest.newBuilder().setInitiator(USER);
    if (k % 5 == 3) {
      return request
          .setType(ActivityType.SOFTWARE_INSTALL)
          .setPayload(
              SoftwareInstallPayload.newBuilder()
                  .setInstallerId("bench-app")
                  .setVersion("1." + k)
                  .setDownloadRef("https://downloads.example.invalid/bench-app.pkg")
                  .build());
    }
    if (k % 7 == 5) {
      return request
          .setType(ActivityType.MDM_COMMAND)
          .setPayload(
              MdmCommandPayload.newBuilder()
                  .setPlatform(Platform.APPLE)
                  .setCommandUuid(UUID.randomUUID().toString())
                  .setRequestType("DeviceInformation")
                  .setRawCommand(
                      ByteBuffer.wrap(
                          "<plist><dict><key>RequestType</key><string>DeviceInformation</string></dict></plist>"
                              .getBytes(StandardCharsets.UTF_8)))
                  .build());
    }
    return request
        .setType(ActivityType.SCRIPT_RUN)
        .setPayload(InlineScriptRunPayload.newBuilder().setScript("echo " + k).build());
  }

  Outcome run() throws Exception {
    return run(() -> {});
  }

  /**
   * @param loadStarts called just before the first request is written, after the devices joined:
   *     where a caller's measurements of the run begin
   */
  Outcome run(Runnable loadStarts) throws Exception {
    String prefix = "bench-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    Map<String, List<String>> expected = new HashMap<>();
    Set<String> mayEndCancelled = ConcurrentHashMap.newKeySet();
    Map<String, Integer> lastReleased = new ConcurrentHashMap<>();
    Map<String, Integer> position = new HashMap<>();
    Map<String, Long> resultSentAt = new ConcurrentHashMap<>();
    Map<String, Long> resultSentWall = new ConcurrentHashMap<>();
    Set<String> released = ConcurrentHashMap.newKeySet();
    Histogram handoff = new Histogram(60_000_000_000L, 3);
    Histogram toSequencer = new Histogram(60_000L, 3);
    Histogram toDevice = new Histogram(60_000L, 3);
    Histogram accepted = new Histogram(600_000_000_000L, 3);
    List<String> violations = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong answered = new AtomicLong();
    Timeline timeline = new Timeline();

    int quarter = Math.max(1, perHost / 4);
    List<ProducerRecord<String, ActivityRequest>> requests = new ArrayList<>();
    List<String[]> cancels = new ArrayList<>();
    for (int k = 0; k <= perHost; k++) {
      for (int h = 0; h < hosts; h++) {
        String host = prefix + h;
        boolean preempting = k == perHost;
        if (preempting && h % 100 != 7) {
          continue;
        }
        String id = UUID.randomUUID().toString();
        List<String> order = expected.computeIfAbsent(host, x -> new ArrayList<>());
        position.put(id, order.size());
        order.add(id);
        ActivityRequest.Builder request =
            preempting
                ? ActivityRequest.newBuilder()
                    .setInitiator(USER)
                    .setType(ActivityType.LOCK)
                    .setPreempt(true)
                    .setPayload(LockPayload.newBuilder().setMessage("bench").build())
                : activity(k).setPriority(k < quarter ? 10 : 0);
        requests.add(
            new ProducerRecord<>(
                Topics.REQUESTS.name(), host, request.setActivityId(id).setHostId(host).build()));
        if (k == perHost - 1 && h % 50 == 3) {
          cancels.add(new String[] {host, id});
          mayEndCancelled.add(id);
        }
      }
    }
    // A preempting lock may cancel whatever of its host is still upcoming.
    expected.forEach(
        (host, order) -> {
          if (order.size() > perHost) {
            mayEndCancelled.addAll(order.subList(0, perHost));
          }
        });
    long total = requests.size();

    // Devices that take a while to run what they were given answer on this scheduler.
    ScheduledExecutorService working = Executors.newSingleThreadScheduledExecutor();
    Thread devices =
        new Thread(
            () -> {
              try (KafkaConsumer<String, ReleasedActivity> releases =
                      DeviceClients.releases(bootstrap, prefix + "devices");
                  KafkaProducer<String, ActivityResult> results =
                      DeviceClients.results(bootstrap)) {
                releases.subscribe(DeviceClients.RELEASED);
                while (running.get()) {
                  for (var r : releases.poll(Duration.ofMillis(50))) {
                    var a = r.value().getActivity();
                    String host = a.getHostId();
                    if (!host.startsWith(prefix)) {
                      continue;
                    }
                    long now = System.nanoTime();
                    timeline.count(Timeline.Series.RELEASED, now);
                    long nowWall = System.currentTimeMillis();
                    Integer at = position.get(a.getActivityId());
                    int before = lastReleased.getOrDefault(host, -1);
                    if (at == null || at <= before) {
                      violations.add(
                          host + ": released " + a.getActivityId() + " out of order (" + at + ")");
                    } else {
                      lastReleased.put(host, at);
                    }
                    if (!released.add(a.getActivityId() + "#" + r.value().getAttempt())) {
                      violations.add(a.getActivityId() + " released twice for one attempt");
                    }
                    Long sent = resultSentAt.remove(host);
                    Long sentWall = resultSentWall.remove(host);
                    if (sent != null) {
                      handoff.recordValue(now - sent);
                      long releasedAt = r.value().getReleasedAt().toEpochMilli();
                      toSequencer.recordValue(Math.max(0, releasedAt - sentWall));
                      toDevice.recordValue(Math.max(0, nowWall - releasedAt));
                    } else if (before >= 0
                        && !mayEndCancelled.contains(expectedAt(expected, host, before))) {
                      violations.add(
                          host + ": released " + a.getActivityId() + " before the previous result");
                    }
                    ReleasedActivity release = r.value();
                    Runnable answer =
                        () -> {
                          resultSentAt.put(host, System.nanoTime());
                          resultSentWall.put(host, System.currentTimeMillis());
                          results.send(
                              new ProducerRecord<>(
                                  Topics.RESULTS.name(),
                                  host,
                                  Results.succeeded(release, Instant.now()).build()));
                        };
                    if (deviceDelay.isZero()) {
                      answer.run();
                    } else {
                      working.schedule(answer, deviceDelay.toNanos(), TimeUnit.NANOSECONDS);
                    }
                    answered.incrementAndGet();
                  }
                  if (deviceDelay.isZero()) {
                    results.flush();
                  }
                }
              }
            },
            "bench-devices");
    devices.start();
    Thread.sleep(3000); // let the devices' consumer join before the load starts

    Map<String, ActivityState> terminals = new ConcurrentHashMap<>();
    Map<String, String> endings = new HashMap<>();
    loadStarts.run();
    long started = System.nanoTime();
    timeline.begin(started);
    try (KafkaProducer<String, ActivityRequest> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.LINGER_MS_CONFIG,
                5,
                ProducerConfig.BATCH_SIZE_CONFIG,
                256 * 1024,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            Topics.REQUESTS.keySerde().serializer(),
            Topics.REQUESTS.valueSerde().serializer())) {
      for (var request : requests) {
        producer.send(request);
      }
    }
    Thread canceller = new Thread(() -> cancel(cancels, violations), "bench-cancels");
    canceller.start();

    long ended = 0;
    try (KafkaConsumer<String, LifecycleEvent> events =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                prefix + "audit",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                10_000),
            Topics.EVENTS.keySerde().deserializer(),
            Topics.EVENTS.valueSerde().deserializer())) {
      events.subscribe(List.of(Topics.EVENTS.name()));
      long lastProgress = System.nanoTime();
      long lastReport = lastProgress;
      long endedAtReport = 0;
      while (ended < total && System.nanoTime() - lastProgress < STALL.toNanos()) {
        if (System.nanoTime() - lastReport > REPORT_EVERY.toNanos()) {
          System.out.printf(
              "  ... %d of %d ended, %d released to devices, %d/s%n",
              ended,
              total,
              answered.get(),
              (ended - endedAtReport) * 1_000_000_000L / (System.nanoTime() - lastReport));
          lastReport = System.nanoTime();
          endedAtReport = ended;
        }
        var polled = events.poll(Duration.ofMillis(100));
        if (!polled.isEmpty()) {
          lastProgress = System.nanoTime();
        }
        for (var e : polled) {
          LifecycleEvent event = e.value();
          if (!event.getHostId().startsWith(prefix)) {
            continue;
          }
          if (event.getState() == ActivityState.QUEUED && event.getSequence() == 1) {
            accepted.recordValue(Math.max(0, System.nanoTime() - started));
            timeline.count(Timeline.Series.ACCEPTED, System.nanoTime());
          }
          // A note (a duplicate, a late result, a refused cancel) restates the state.
          if (Lifecycle.isTerminal(event.getState()) && !Lifecycle.isNote(event.getReason())) {
            boolean allowed =
                event.getState() == ActivityState.SUCCEEDED
                    || (event.getState() == ActivityState.CANCELLED
                        && mayEndCancelled.contains(event.getActivityId()));
            if (!allowed) {
              violations.add(
                  event.getActivityId() + " ended " + event.getState() + " " + event.getReason());
            }
            String said =
                event.getState()
                    + " "
                    + event.getReason()
                    + " seq "
                    + event.getSequence()
                    + " at "
                    + e.partition()
                    + "@"
                    + e.offset();
            String before = endings.put(event.getActivityId(), said);
            if (terminals.put(event.getActivityId(), event.getState()) != null) {
              violations.add(event.getActivityId() + " ended twice: " + before + ", then " + said);
            }
            ended++;
            timeline.count(Timeline.Series.ENDED, System.nanoTime());
          }
        }
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    running.set(false);
    working.shutdownNow();
    devices.join(10_000);
    canceller.join(10_000);
    if (ended < total) {
      violations.add(
          "only " + ended + " of " + total + " activities ended; nothing happened for " + STALL);
    }
    // Every activity a host skipped past must have been cancelled, not lost.
    expected.forEach(
        (host, order) -> {
          int last = lastReleased.getOrDefault(host, -1);
          for (int i = 0; i < last; i++) {
            String id = order.get(i);
            boolean wasReleased = released.contains(id + "#1");
            if (!wasReleased && terminals.get(id) != ActivityState.CANCELLED) {
              violations.add(host + ": " + id + " was skipped but ended " + terminals.get(id));
            }
          }
        });
    if (!violations.isEmpty()) {
      throw new IllegalStateException(
          "the contract was violated during the run:\n  "
              + String.join("\n  ", violations.subList(0, Math.min(20, violations.size()))));
    }
    System.out.printf(
        "lineup: %d cancelled over HTTP, %d hosts preempted by a lock, %d ended cancelled%n",
        cancels.size(),
        expected.values().stream().filter(o -> o.size() > perHost).count(),
        terminals.values().stream().filter(s -> s == ActivityState.CANCELLED).count());
    return new Outcome(total, seconds, handoff, toSequencer, toDevice, accepted, timeline);
  }

  private static String expectedAt(Map<String, List<String>> expected, String host, int index) {
    return expected.get(host).get(index);
  }

  /** Cancels over intake's HTTP API, as an operator would; an activity already over is a 409. */
  private void cancel(List<String[]> cancels, List<String> violations) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (String[] target : cancels) {
      try {
        HttpResponse<String> answer;
        int tries = 0;
        do { // 404 until the ledger has seen the enqueue: intake answers from the ledger
          if (tries++ > 0) {
            Thread.sleep(100);
          }
          answer =
              http.send(
                  HttpRequest.newBuilder(
                          intake.resolve("/v1/hosts/" + target[0] + "/activities/" + target[1]))
                      .header("Authorization", "Bearer " + token)
                      .DELETE()
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
        } while (answer.statusCode() == 404 && tries < 300);
        if (answer.statusCode() != 202 && answer.statusCode() != 409) {
          violations.add("cancel of " + target[1] + " answered " + answer.statusCode());
        }
      } catch (Exception e) {
        violations.add("cancel of " + target[1] + " failed: " + e);
      }
    }
  }
}
