package dev.lineup.bench;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Command;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.schemas.Commands;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.stream.QueueStoreKind;
import dev.lineup.sequencer.stream.SequencerStreams;
import dev.lineup.sequencer.stream.SequencerTopology;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The sequencer's cost per event as one host's queue grows: the real topology on the queue store of
 * the given kind, one host holding {@code depth} upcoming activities; each cycle enqueues one and
 * completes the released one (which releases the next), so the depth stays put. Reports
 * microseconds per cycle.
 */
final class DepthSweep {

  private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");

  static Map<Integer, Double> run(int[] depths, int cycles, QueueStoreKind store) throws Exception {
    Map<Integer, Double> micros = new LinkedHashMap<>();
    for (int depth : depths) {
      micros.put(depth, perCycle(depth, cycles, store));
    }
    return micros;
  }

  private static double perCycle(int depth, int cycles, QueueStoreKind store) throws Exception {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "depth-sweep");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("depth").toString());
    SequencerStreams.errorHandling().forEach(props::put);
    QueueSettings settings =
        QueueSettings.defaults().withMaxUpcomingPerLane(Math.max(10_000, depth * 2));
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            SequencerTopology.build(settings, Duration.ofSeconds(1), store), props, T0)) {
      TestInputTopic<String, Command> commands =
          driver.createInputTopic(
              Topics.COMMANDS.name(),
              Serdes.String().serializer(),
              Topics.COMMANDS.valueSerde().serializer());
      TestInputTopic<String, ActivityResult> results =
          driver.createInputTopic(
              Topics.RESULTS.name(),
              Serdes.String().serializer(),
              Topics.RESULTS.valueSerde().serializer());
      TestOutputTopic<String, ReleasedActivity> released =
          driver.createOutputTopic(
              Topics.RELEASED_SCRIPT.name(),
              Serdes.String().deserializer(),
              Topics.RELEASED_SCRIPT.valueSerde().deserializer());
      for (int i = 0; i <= depth; i++) {
        commands.pipeInput("h", enqueue());
      }
      driver
          .createOutputTopic(
              Topics.EVENTS.name(),
              Serdes.String().deserializer(),
              Serdes.ByteArray().deserializer())
          .readValuesToList();
      ReleasedActivity current = released.readValue();
      int warmup = Math.min(1000, cycles / 5);
      long start = 0;
      for (int i = 0; i < warmup + cycles; i++) {
        if (i == warmup) {
          start = System.nanoTime();
        }
        commands.pipeInput("h", enqueue());
        results.pipeInput("h", succeeded(current));
        current = released.readValue();
      }
      return (System.nanoTime() - start) / 1000.0 / cycles;
    }
  }

  private static Command enqueue() {
    return Commands.enqueue(
        Activity.newBuilder()
            .setActivityId(UUID.randomUUID().toString())
            .setHostId("h")
            .setType(ActivityType.SCRIPT_RUN)
            .setChannel(Channel.SCRIPT)
            .setInitiator(Initiator.newBuilder().setKind(InitiatorKind.USER).build())
            .setAcceptedAt(T0)
            .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("ab".repeat(32)).build())
            .build(),
        false);
  }

  private static ActivityResult succeeded(ReleasedActivity r) {
    return Results.succeeded(r, T0).build();
  }
}
