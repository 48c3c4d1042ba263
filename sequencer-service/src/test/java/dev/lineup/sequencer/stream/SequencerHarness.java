package dev.lineup.sequencer.stream;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Cancel;
import dev.lineup.avro.CancelUpcoming;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.avro.Pause;
import dev.lineup.avro.Platform;
import dev.lineup.avro.Purge;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.Resume;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.queue.TestActivities;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The sequencer topology in a {@link TopologyTestDriver}, with the verbs of intake (enqueue,
 * cancel, ...) and of a device (deliver, succeed, fail), and wall-clock time moved by hand.
 */
final class SequencerHarness implements AutoCloseable {

  static final Instant START = Instant.parse("2026-11-24T10:00:00Z");
  static final Duration TICK = Duration.ofMillis(100);

  private final TopologyTestDriver driver;
  private final TestInputTopic<String, Command> commands;
  private final TestInputTopic<String, ActivityResult> results;
  private final TestInputTopic<String, byte[]> rawCommands;
  private final TestOutputTopic<String, LifecycleEvent> events;
  private final TestOutputTopic<String, LifecycleEvent> revocations;
  private final List<TestOutputTopic<String, ReleasedActivity>> released = new ArrayList<>();
  private final TestOutputTopic<byte[], byte[]> deadLetters;
  private final List<LifecycleEvent> seenEvents = new ArrayList<>();

  /** What the sequencer's meters counted ({@link SequencerMetrics}). */
  final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  SequencerHarness(QueueSettings settings) {
    this(settings, Duration.ZERO);
  }

  /** With commits asked for early by releases, at most once per {@code handoffCommitSpacing}. */
  SequencerHarness(QueueSettings settings, Duration handoffCommitSpacing) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "sequencer-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    try {
      props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("ttd").toString());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    SequencerStreams.errorHandling().forEach(props::put);
    driver =
        new TopologyTestDriver(
            SequencerTopology.build(
                settings,
                TICK,
                QueueStoreKind.TIERED,
                new SequencerMetrics(registry),
                handoffCommitSpacing),
            props,
            START);
    commands =
        driver.createInputTopic(
            Topics.COMMANDS.name(),
            Serdes.String().serializer(),
            Topics.COMMANDS.valueSerde().serializer(),
            START,
            Duration.ZERO);
    rawCommands =
        driver.createInputTopic(
            Topics.COMMANDS.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
    results =
        driver.createInputTopic(
            Topics.RESULTS.name(),
            Serdes.String().serializer(),
            Topics.RESULTS.valueSerde().serializer(),
            START,
            Duration.ZERO);
    events =
        driver.createOutputTopic(
            Topics.EVENTS.name(),
            Serdes.String().deserializer(),
            Topics.EVENTS.valueSerde().deserializer());
    revocations =
        driver.createOutputTopic(
            Topics.REVOCATIONS.name(),
            Serdes.String().deserializer(),
            Topics.REVOCATIONS.valueSerde().deserializer());
    for (var topic : Topics.RELEASED) {
      released.add(
          driver.createOutputTopic(
              topic.name(), Serdes.String().deserializer(), topic.valueSerde().deserializer()));
    }
    deadLetters =
        driver.createOutputTopic(
            Topics.SEQUENCER_DLQ.name(),
            Serdes.ByteArray().deserializer(),
            Serdes.ByteArray().deserializer());
  }

  // ------------------------------------------------------------------ activities

  static Activity.Builder script(String host, String id) {
    return TestActivities.script(host, id, START);
  }

  static Activity.Builder lock(String host, String id) {
    return script(host, id)
        .setType(ActivityType.LOCK)
        .setChannel(Channel.MDM)
        .setPayload(LockPayload.newBuilder().build());
  }

  static Activity.Builder query(String host, String id) {
    return script(host, id)
        .setType(ActivityType.MDM_QUERY)
        .setChannel(Channel.MDM)
        .setLane(Lane.BYPASS)
        .setPayload(
            MdmCommandPayload.newBuilder()
                .setPlatform(Platform.APPLE)
                .setCommandUuid(UUID.randomUUID().toString())
                .setRequestType("DeviceInformation")
                .setRawCommand(ByteBuffer.wrap(new byte[] {1}))
                .build());
  }

  static Initiator system() {
    return Initiator.newBuilder().setKind(InitiatorKind.SYSTEM).build();
  }

  // ------------------------------------------------------------------ intake's verbs

  Instant now() {
    return START.plusMillis(elapsedMillis);
  }

  private long elapsedMillis;

  void enqueue(Activity.Builder activity) {
    enqueue(activity, false);
  }

  void enqueue(Activity.Builder activity, boolean preempt) {
    Activity a = activity.setAcceptedAt(now()).build();
    command(a.getHostId(), Enqueue.newBuilder().setActivity(a).setPreempt(preempt).build());
  }

  /** An enqueue whose record was written at {@code writtenAt}, read only now. */
  void enqueueWrittenAt(Activity.Builder activity, Instant writtenAt) {
    Activity a = activity.setAcceptedAt(writtenAt).build();
    commands.pipeInput(
        a.getHostId(),
        Command.newBuilder()
            .setCommandId(UUID.randomUUID().toString())
            .setHostId(a.getHostId())
            .setIssuedAt(writtenAt)
            .setBody(Enqueue.newBuilder().setActivity(a).build())
            .build(),
        writtenAt);
  }

  void cancel(String host, String id) {
    command(host, Cancel.newBuilder().setActivityId(id).build());
  }

  void cancelUpcoming(String host) {
    command(host, CancelUpcoming.newBuilder().build());
  }

  void pause(String host) {
    command(host, Pause.newBuilder().build());
  }

  void resume(String host) {
    command(host, Resume.newBuilder().build());
  }

  void purge(String host) {
    command(host, Purge.newBuilder().build());
  }

  /**
   * What intake does for POST /v1/cancellations: the same command on every partition. Answers the
   * cancellation's id.
   */
  String cancelMatching(dev.lineup.avro.Selector selector) {
    String id = "c-" + UUID.randomUUID();
    commands.pipeInput(
        Topics.BROADCAST_KEY,
        Command.newBuilder()
            .setCommandId(UUID.randomUUID().toString())
            .setHostId(Topics.BROADCAST_KEY)
            .setIssuedAt(now())
            .setBody(
                dev.lineup.avro.CancelMatching.newBuilder()
                    .setCancellationId(id)
                    .setSelector(selector)
                    .build())
            .build(),
        now());
    return id;
  }

  static Activity.Builder install(String host, String id, String installerId) {
    return script(host, id)
        .setType(ActivityType.SOFTWARE_INSTALL)
        .setChannel(Channel.INSTALLER)
        .setPayload(
            dev.lineup.avro.SoftwareInstallPayload.newBuilder()
                .setInstallerId(installerId)
                .setVersion("1.0")
                .setDownloadRef("https://example.invalid/" + installerId)
                .build());
  }

  /** A well-formed command, keyed to {@code key} whatever host it names. */
  void commandKeyed(String key, Command command) {
    commands.pipeInput(key, command, now());
  }

  void poisonCommand(String host) {
    rawCommands.pipeInput(host, new byte[] {(byte) 0xC3, 0x01, 9, 9, 9});
  }

  private void command(String host, Object body) {
    commands.pipeInput(
        host,
        Command.newBuilder()
            .setCommandId(UUID.randomUUID().toString())
            .setHostId(host)
            .setIssuedAt(now())
            .setBody(body)
            .build(),
        now());
  }

  // ------------------------------------------------------------------ a device's verbs

  void deliver(ReleasedActivity r) {
    result(r, ResultKind.DELIVERED, null, null);
  }

  void succeed(ReleasedActivity r) {
    result(r, ResultKind.SUCCEEDED, 0, null);
  }

  void fail(ReleasedActivity r) {
    result(r, ResultKind.FAILED, 1, null);
  }

  void heartbeat(ReleasedActivity r, Duration extension) {
    result(r, ResultKind.HEARTBEAT, null, extension.toMillis());
  }

  void result(ReleasedActivity r, ResultKind kind, Integer exitCode, Long extensionMs) {
    var a = r.getActivity();
    results.pipeInput(
        a.getHostId(),
        ActivityResult.newBuilder()
            .setResultId(UUID.randomUUID().toString())
            .setActivityId(a.getActivityId())
            .setHostId(a.getHostId())
            .setAttempt(r.getAttempt())
            .setKind(kind)
            .setOccurredAt(now())
            .setExitCode(exitCode)
            .setLeaseExtensionMs(extensionMs)
            .build(),
        now());
  }

  // ------------------------------------------------------------------ time and output

  void advance(Duration duration) {
    // Step by the tick, so punctuations happen at the times they would.
    long remaining = duration.toMillis();
    while (remaining > 0) {
      long step = Math.min(remaining, TICK.toMillis());
      elapsedMillis += step;
      driver.advanceWallClockTime(Duration.ofMillis(step));
      remaining -= step;
    }
  }

  /** Releases since the last call, over every channel. */
  List<ReleasedActivity> releases() {
    List<ReleasedActivity> all = new ArrayList<>();
    released.forEach(t -> all.addAll(t.readValuesToList()));
    return all;
  }

  List<String> releasedIds() {
    return releases().stream().map(r -> r.getActivity().getActivityId()).toList();
  }

  /** Events since the last call. */
  List<LifecycleEvent> events() {
    List<LifecycleEvent> fresh = events.readValuesToList();
    seenEvents.addAll(fresh);
    return fresh;
  }

  /** What went to {@code lineup.revocations} since the last call. */
  List<LifecycleEvent> revocations() {
    return revocations.readValuesToList();
  }

  /** Every event so far (including those already read through {@link #events()}). */
  List<LifecycleEvent> allEvents() {
    events();
    return List.copyOf(seenEvents);
  }

  /** The last event of one activity so far. */
  LifecycleEvent last(String activityId) {
    return allEvents().stream()
        .filter(e -> e.getActivityId().equals(activityId))
        .reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no event for " + activityId));
  }

  List<byte[]> deadLetters() {
    return deadLetters.readValuesToList();
  }

  org.apache.kafka.common.header.Headers lastDeadLetterHeaders() {
    return deadLetters.readRecord().headers();
  }

  /** Dead letters since the last call, with their keys and headers. */
  List<org.apache.kafka.streams.test.TestRecord<byte[], byte[]>> deadLetterRecords() {
    return deadLetters.readRecordsToList();
  }

  // ------------------------------------------------------------------ the store itself

  /**
   * Writes {@code value} under {@code key} of the task's queue store, as a broken disk or a bug
   * would, behind the rules' back. Keys are laid out as docs/ARCHITECTURE.md's store table says.
   */
  void overwriteStored(byte[] key, byte[] value) {
    driver
        .<org.apache.kafka.common.utils.Bytes, byte[]>getKeyValueStore(
            SequencerTopology.QUEUE_STORE)
        .put(org.apache.kafka.common.utils.Bytes.wrap(key), value);
  }

  byte[] stored(byte[] key) {
    return driver
        .<org.apache.kafka.common.utils.Bytes, byte[]>getKeyValueStore(
            SequencerTopology.QUEUE_STORE)
        .get(org.apache.kafka.common.utils.Bytes.wrap(key));
  }

  @Override
  public void close() {
    driver.close();
  }
}
