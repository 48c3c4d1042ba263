package dev.lineup.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lineup dlq ...}: the dead-letter topics ({@code lineup.<consumer>.dlq}), read and replayed
 * straight on Kafka. A dead letter keeps its record's key and value bytes, and says why and where
 * from in its headers ({@link DeadLetterHeaders}).
 */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    description = "Dead letters: what a consumer refused, and why; replayed on request.",
    subcommands = {DlqCommand.ListDeadLetters.class, DlqCommand.Replay.class})
final class DlqCommand {

  /** How long listing waits for the end of every partition before it says it could not. */
  private static final Duration READ_PATIENCE = Duration.ofSeconds(30);

  /** The headers a replay leaves behind: the dead letter's own, and Kafka Streams' error ones. */
  private static final List<String> DEAD_LETTER_HEADER_PREFIXES =
      List.of("lineup.dlq.", "__streams.errors.");

  static String checkedTopic(String topic) {
    if (!topic.startsWith("lineup.") || !topic.endsWith(".dlq")) {
      throw CliFailure.misused(
          "--topic must be a dead-letter topic, lineup.<consumer>.dlq: " + topic);
    }
    return topic;
  }

  static Map<String, Object> consumerConfig(KafkaOptions kafka) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return config;
  }

  static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    return DeadLetterHeaders.read(record.headers(), name);
  }

  static String utf8(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  static String where(String topic, int partition, long offset) {
    return topic + "/" + partition + "@" + offset;
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "Lists the dead letters of every lineup.*.dlq topic (or --topic): where each came from,"
            + " why it was refused, and when.",
        "Reads committed records from the beginning to the end as it was at the start."
      })
  static final class ListDeadLetters implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin KafkaOptions kafka;
    @Mixin OutputOptions output;

    @Option(
        names = "--topic",
        paramLabel = "TOPIC",
        description = "Only this dead-letter topic (repeatable); default every Lineup one.")
    List<String> topics;

    @Option(names = "--key", paramLabel = "KEY", description = "Only dead letters with this key.")
    String key;

    @Override
    public Integer call() {
      List<String> names =
          topics == null
              ? Topics.DEAD_LETTERS.stream().map(Topic::name).toList()
              : topics.stream().map(DlqCommand::checkedTopic).toList();
      PrintWriter out = spec.commandLine().getOut();
      List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
      try (var consumer =
          new KafkaConsumer<>(
              consumerConfig(kafka), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String name : names) {
          List<PartitionInfo> info = consumer.partitionsFor(name);
          if (info.isEmpty() && topics != null) {
            throw CliFailure.refused(name + " does not exist on " + kafka.bootstrapServers());
          }
          info.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        Instant deadline = Instant.now().plus(READ_PATIENCE);
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
          if (Instant.now().isAfter(deadline)) {
            throw CliFailure.failed(
                "could not read every dead letter within " + READ_PATIENCE.toSeconds() + " s");
          }
          for (var record : consumer.poll(Duration.ofMillis(200))) {
            if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))
                && (key == null || key.equals(utf8(record.key())))) {
              found.add(record);
            }
          }
        }
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        throw CliFailure.failed(
            "Kafka at " + kafka.bootstrapServers() + " did not answer: " + e.getMessage());
      } catch (KafkaException e) {
        throw CliFailure.failed("reading dead letters failed: " + e);
      }
      found.sort(
          Comparator.comparing((ConsumerRecord<byte[], byte[]> r) -> r.topic())
              .thenComparingInt(ConsumerRecord::partition)
              .thenComparingLong(ConsumerRecord::offset));
      if (output.json) {
        found.forEach(r -> out.println(Json.write(toJson(r))));
        return LineupCli.OK;
      }
      Table table = new Table("DEAD LETTER", "TIME", "KEY", "SOURCE", "CONSUMER", "REASON");
      for (var r : found) {
        table.row(
            where(r.topic(), r.partition(), r.offset()),
            Instant.ofEpochMilli(r.timestamp()),
            utf8(r.key()),
            header(r, DeadLetterHeaders.SOURCE_TOPIC) == null
                ? null
                : where(
                    header(r, DeadLetterHeaders.SOURCE_TOPIC),
                    parseInt(header(r, DeadLetterHeaders.SOURCE_PARTITION), -1),
                    parseLong(header(r, DeadLetterHeaders.SOURCE_OFFSET), -1)),
            header(r, DeadLetterHeaders.CONSUMER),
            header(r, DeadLetterHeaders.DROPPED) == null
                ? header(r, DeadLetterHeaders.REASON)
                : header(r, DeadLetterHeaders.REASON)
                    + " ["
                    + header(r, DeadLetterHeaders.DROPPED)
                    + "]");
      }
      table.print(out);
      if (found.isEmpty()) {
        out.println("(no dead letters)");
      }
      return LineupCli.OK;
    }

    static ObjectNode toJson(ConsumerRecord<byte[], byte[]> r) {
      ObjectNode json = Json.object();
      json.put("topic", r.topic());
      json.put("partition", r.partition());
      json.put("offset", r.offset());
      json.put("timestamp", Instant.ofEpochMilli(r.timestamp()).toString());
      json.put("key", utf8(r.key()));
      json.put("source_topic", header(r, DeadLetterHeaders.SOURCE_TOPIC));
      json.put("source_partition", header(r, DeadLetterHeaders.SOURCE_PARTITION));
      json.put("source_offset", header(r, DeadLetterHeaders.SOURCE_OFFSET));
      json.put("consumer", header(r, DeadLetterHeaders.CONSUMER));
      json.put("reason", header(r, DeadLetterHeaders.REASON));
      json.put("dropped", header(r, DeadLetterHeaders.DROPPED));
      json.put(
          "value_base64", r.value() == null ? null : Base64.getEncoder().encodeToString(r.value()));
      return json;
    }
  }

  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description = {
        "Re-publishes dead letters to the topic they came from: the original key, value and"
            + " headers, to the original partition. The dead letters stay where they are.",
        "A record that fails again is dead-lettered again, with the replayed copy as its source.",
        "Refused (exit 3, nothing sent) when any record has no source, comes from a dead-letter"
            + " or internal topic, or lost its body."
      })
  static final class Replay implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin KafkaOptions kafka;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC")
    String topic;

    @Option(
        names = "--partition",
        paramLabel = "P",
        description = "The dead letter's partition; needed when the topic has more than one.")
    Integer partition;

    @Option(names = "--offset", required = true, paramLabel = "N", description = "The first one.")
    long offset;

    @Option(
        names = "--to",
        paramLabel = "M",
        description = "The last one, inclusive (default: --offset alone).")
    Long to;

    @Option(names = "--dry-run", description = "Say what would be replayed; send nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
      checkedTopic(topic);
      long last = to == null ? offset : to;
      if (offset < 0 || last < offset) {
        throw CliFailure.misused("--offset must be at least 0 and --to at least --offset");
      }
      PrintWriter out = spec.commandLine().getOut();
      List<ConsumerRecord<byte[], byte[]>> records;
      Set<String> lineupTopics =
          Topics.ALL.stream()
              .map(Topic::name)
              .filter(n -> !n.endsWith(".dlq"))
              .collect(Collectors.toSet());
      try (var consumer =
          new KafkaConsumer<>(
              consumerConfig(kafka), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        TopicPartition source = partitionOf(consumer.partitionsFor(topic));
        records = read(consumer, source, offset, last);
        if (records.isEmpty()) {
          throw CliFailure.refused(
              "no dead letter at " + where(topic, source.partition(), offset) + ".." + last);
        }
        List<String> refusals = new ArrayList<>();
        for (var r : records) {
          refusal(r, lineupTopics)
              .ifPresent(
                  why -> refusals.add(where(r.topic(), r.partition(), r.offset()) + ": " + why));
        }
        if (!refusals.isEmpty()) {
          throw CliFailure.refused(
              "nothing replayed:"
                  + System.lineSeparator()
                  + "  "
                  + String.join(System.lineSeparator() + "  ", refusals));
        }
        if (dryRun) {
          for (var r : records) {
            out.println("would replay " + describe(r));
          }
          return LineupCli.OK;
        }
        try (var producer = producer()) {
          for (var r : records) {
            ProducerRecord<byte[], byte[]> copy = replayOf(r, consumer);
            RecordMetadata sent = producer.send(copy).get();
            out.println(
                "replayed "
                    + describe(r)
                    + " as "
                    + where(sent.topic(), sent.partition(), sent.offset()));
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw CliFailure.failed("interrupted while replaying");
        } catch (java.util.concurrent.ExecutionException e) {
          throw CliFailure.failed("Kafka did not take a replayed record: " + e.getCause());
        }
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        throw CliFailure.failed(
            "Kafka at " + kafka.bootstrapServers() + " did not answer: " + e.getMessage());
      } catch (KafkaException e) {
        throw CliFailure.failed("replaying failed: " + e);
      }
      return LineupCli.OK;
    }

    private TopicPartition partitionOf(List<PartitionInfo> partitions) {
      if (partitions.isEmpty()) {
        throw CliFailure.refused(topic + " does not exist on " + kafka.bootstrapServers());
      }
      if (partition == null) {
        if (partitions.size() > 1) {
          throw CliFailure.misused(
              topic + " has " + partitions.size() + " partitions: name one with --partition");
        }
        return new TopicPartition(topic, partitions.get(0).partition());
      }
      if (partition < 0 || partition >= partitions.size()) {
        throw CliFailure.misused(
            "--partition must be 0 to " + (partitions.size() - 1) + " for " + topic);
      }
      return new TopicPartition(topic, partition);
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(
        KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, long from, long to) {
      consumer.assign(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      long start = Math.max(from, consumer.beginningOffsets(List.of(partition)).get(partition));
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      if (start >= end) {
        return records;
      }
      consumer.seek(partition, start);
      Instant deadline = Instant.now().plus(READ_PATIENCE);
      while (consumer.position(partition) < Math.min(end, to + 1)) {
        if (Instant.now().isAfter(deadline)) {
          throw CliFailure.failed("could not read " + partition + " within " + READ_PATIENCE);
        }
        for (var r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() >= from && r.offset() <= to) {
            records.add(r);
          }
        }
      }
      return records;
    }

    /** Why a dead letter cannot be replayed, if it cannot. */
    private static java.util.Optional<String> refusal(
        ConsumerRecord<byte[], byte[]> r, Set<String> lineupTopics) {
      String source = header(r, DeadLetterHeaders.SOURCE_TOPIC);
      if (header(r, DeadLetterHeaders.DROPPED) != null) {
        return java.util.Optional.of(
            "its key and value were left out (" + header(r, DeadLetterHeaders.DROPPED) + ")");
      }
      if (source == null || source.isBlank()) {
        return java.util.Optional.of("it has no " + DeadLetterHeaders.SOURCE_TOPIC + " header");
      }
      if (source.endsWith(".dlq")) {
        return java.util.Optional.of("its source " + source + " is itself a dead-letter topic");
      }
      if (!lineupTopics.contains(source)) {
        return java.util.Optional.of(
            "its source "
                + source
                + " is not a topic Lineup reads (a changelog holds the sequencer's state, not"
                + " records to replay)");
      }
      return java.util.Optional.empty();
    }

    private static String describe(ConsumerRecord<byte[], byte[]> r) {
      return where(r.topic(), r.partition(), r.offset())
          + " (key "
          + utf8(r.key())
          + ", "
          + (r.value() == null ? 0 : r.value().length)
          + " bytes) to "
          + header(r, DeadLetterHeaders.SOURCE_TOPIC);
    }

    /** The original record: same key, value and headers, to the partition it was read from. */
    private static ProducerRecord<byte[], byte[]> replayOf(
        ConsumerRecord<byte[], byte[]> r, KafkaConsumer<byte[], byte[]> consumer) {
      String source = header(r, DeadLetterHeaders.SOURCE_TOPIC);
      int sourcePartitions = consumer.partitionsFor(source).size();
      int original = parseInt(header(r, DeadLetterHeaders.SOURCE_PARTITION), -1);
      // The partition it was read from, which is where its key belongs; a cancel-matching command
      // lives on every partition under one key, so the key alone would send it to the wrong one.
      Integer partition = original >= 0 && original < sourcePartitions ? original : null;
      RecordHeaders headers = new RecordHeaders();
      for (Header h : r.headers()) {
        if (DEAD_LETTER_HEADER_PREFIXES.stream().noneMatch(h.key()::startsWith)) {
          headers.add(h.key(), h.value());
        }
      }
      return new ProducerRecord<>(source, partition, null, r.key(), r.value(), headers);
    }

    private KafkaProducer<byte[], byte[]> producer() {
      Map<String, Object> config = kafka.clientConfig();
      config.remove(org.apache.kafka.clients.CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG);
      config.put(ProducerConfig.ACKS_CONFIG, "all");
      config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, KafkaOptions.API_TIMEOUT_MS);
      config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
      config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
      return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }
  }

  static int parseInt(String text, int otherwise) {
    try {
      return text == null ? otherwise : Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  static long parseLong(String text, long otherwise) {
    try {
      return text == null ? otherwise : Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }
}
