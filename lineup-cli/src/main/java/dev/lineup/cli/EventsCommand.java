package dev.lineup.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lineup events tail}: {@code lineup.events} as JSON lines, straight from Kafka. */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = "Lifecycle events, from Kafka.",
    subcommands = {EventsCommand.Tail.class})
final class EventsCommand {

  @Command(
      name = "tail",
      mixinStandardHelpOptions = true,
      description = {
        "Prints lineup.events as JSON lines (snake_case, as the API), newest on, until Ctrl-C,"
            + " --max or --timeout.",
        "Reads committed records only, with no consumer group: it commits nothing and moves no"
            + " one's offsets.",
        "With --max and --timeout, ends with exit 1 when the time ran out before --max events."
      })
  static final class Tail implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin KafkaOptions kafka;

    @Option(names = "--from-beginning", description = "Start at the oldest event kept.")
    boolean fromBeginning;

    @Option(names = "--host", paramLabel = "HOST", description = "Only this host's (repeatable).")
    Set<String> hosts;

    @Option(
        names = "--state",
        paramLabel = "STATE",
        split = ",",
        description = "Only events entering these states: QUEUED, RELEASED, SUCCEEDED, ...")
    Set<String> states;

    @Option(
        names = "--type",
        paramLabel = "TYPE",
        split = ",",
        description = "Only these activity types: script_run, lock, ...")
    Set<String> types;

    @Option(
        names = "--activity",
        paramLabel = "ACTIVITY_ID",
        description = "Only this activity's (repeatable).")
    Set<String> activities;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N events.")
    Long max;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description = "Stop after this long: 30s, 5m, 1h, 500ms or PT30S.")
    Duration timeout;

    @Override
    public Integer call() {
      if (max != null && max < 1) {
        throw CliFailure.misused("--max must be at least 1");
      }
      Set<String> wantedStates = upper(states);
      Set<String> wantedTypes = upper(types);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Map<String, Object> config = kafka.clientConfig();
      config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
      String topic = Topics.EVENTS.name();
      Deserializer<LifecycleEvent> values = Topics.EVENTS.valueSerde().deserializer();
      long printed = 0;
      CountDownLatch finished = new CountDownLatch(1);
      try (var consumer =
          new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        Thread onCtrlC =
            new Thread(
                () -> {
                  consumer.wakeup();
                  try {
                    finished.await(5, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
          List<TopicPartition> partitions =
              consumer.partitionsFor(topic).stream()
                  .map(p -> new TopicPartition(p.topic(), p.partition()))
                  .toList();
          if (partitions.isEmpty()) {
            throw CliFailure.refused(topic + " does not exist on " + kafka.bootstrapServers());
          }
          consumer.assign(partitions);
          if (fromBeginning) {
            consumer.seekToBeginning(partitions);
          } else {
            consumer.seekToEnd(partitions);
            // Resolves the end now: what is written from here on is printed.
            partitions.forEach(consumer::position);
          }
          Instant deadline = timeout == null ? null : Instant.now().plus(timeout);
          while (max == null || printed < max) {
            if (deadline != null && !Instant.now().isBefore(deadline)) {
              break;
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
              LifecycleEvent event;
              try {
                event = values.deserialize(topic, record.value());
              } catch (RuntimeException e) {
                err.println(
                    "lineup: skipped an undecodable event at "
                        + record.topic()
                        + "/"
                        + record.partition()
                        + "@"
                        + record.offset()
                        + ": "
                        + e.getMessage());
                continue;
              }
              if (matches(event, wantedStates, wantedTypes)) {
                out.println(Json.write(toJson(event)));
                printed++;
                if (max != null && printed >= max) {
                  break;
                }
              }
            }
          }
        } catch (WakeupException stopped) {
          // Ctrl-C: what was printed stands.
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          throw CliFailure.failed(
              "Kafka at " + kafka.bootstrapServers() + " did not answer: " + e.getMessage());
        } catch (KafkaException e) {
          throw CliFailure.failed("reading " + topic + " failed: " + e);
        } finally {
          out.flush();
          finished.countDown();
          try {
            Runtime.getRuntime().removeShutdownHook(onCtrlC);
          } catch (IllegalStateException exiting) {
            // the JVM is already stopping: the hook is running
          }
        }
      }
      if (max != null && printed < max) {
        throw CliFailure.failed("timed out after " + printed + " of " + max + " events");
      }
      return LineupCli.OK;
    }

    private boolean matches(
        LifecycleEvent event, Set<String> wantedStates, Set<String> wantedTypes) {
      return (hosts == null || hosts.contains(event.getHostId()))
          && (activities == null || activities.contains(event.getActivityId()))
          && (wantedStates == null || wantedStates.contains(event.getState().name()))
          && (wantedTypes == null
              || (event.getType() != null && wantedTypes.contains(event.getType().name())));
    }

    private static Set<String> upper(Set<String> values) {
      return values == null
          ? null
          : values.stream()
              .map(v -> v.strip().toUpperCase(Locale.ROOT))
              .collect(Collectors.toSet());
    }
  }

  /**
   * An event as the API spells it: snake_case names, lower-case types and lanes, RFC 3339 times.
   */
  static ObjectNode toJson(LifecycleEvent event) {
    ObjectNode json = Json.object();
    json.put("event_id", event.getEventId());
    json.put("activity_id", event.getActivityId());
    json.put("host_id", event.getHostId());
    json.put("sequence", event.getSequence());
    json.put("state", event.getState().name());
    json.put("reason", event.getReason().name());
    json.put("occurred_at", event.getOccurredAt().toString());
    json.put(
        "type", event.getType() == null ? null : event.getType().name().toLowerCase(Locale.ROOT));
    json.put("lane", event.getLane().name().toLowerCase(Locale.ROOT));
    json.put("priority", event.getPriority());
    json.put("batch_id", event.getBatchId());
    json.put(
        "accepted_at", event.getAcceptedAt() == null ? null : event.getAcceptedAt().toString());
    json.put("attempt", event.getAttempt());
    json.put("exit_code", event.getExitCode());
    json.put("output", event.getOutput());
    json.put("detail", event.getDetail());
    return json;
  }
}
