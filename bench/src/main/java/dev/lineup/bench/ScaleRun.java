package dev.lineup.bench;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Command;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.schemas.Commands;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.stream.QueueStoreKind;
import dev.lineup.sequencer.stream.SequencerStreams;
import dev.lineup.sequencer.stream.SequencerTopology;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The sequencer at scale: H hosts, each paused and holding K upcoming activities, written straight
 * to {@code lineup.commands} (the sequencer's own input: this run is about its stores, not intake).
 * Reports how fast the sequencer takes them in, its state on disk, the heap, and how long a fresh
 * instance with an empty state directory needs to restore everything from the changelogs.
 */
final class ScaleRun {

  private static final String APPLICATION = "lineup-sequencer-scale";

  private final String bootstrap;
  private final Path dir;
  private final int hosts;
  private final int perHost;
  private final boolean failover;
  private final QueueStoreKind store;

  ScaleRun(
      String bootstrap, Path dir, int hosts, int perHost, boolean failover, QueueStoreKind store) {
    this.bootstrap = bootstrap;
    this.dir = dir;
    this.hosts = hosts;
    this.perHost = perHost;
    this.failover = failover;
    this.store = store;
  }

  void run() throws Exception {
    long commands = (long) hosts * (perHost + 1);
    System.out.printf(
        "scale: %d hosts x %d upcoming activities (paused), %d commands, the queue store in %s%n",
        hosts, perHost, commands, store.name().toLowerCase(java.util.Locale.ROOT));
    long written = write();
    Path first = dir.resolve("scale-first");
    long started = System.nanoTime();
    try (KafkaStreams streams = start(first, null)) {
      awaitCaughtUp(written);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf(
          "scale: the sequencer took in %d commands in %.1f s = %.0f commands/s%n",
          written, seconds, written / seconds);
      System.gc();
      System.out.printf(
          "scale: state on disk %d MiB, heap in use after GC %d MiB, changelogs %d MiB%n",
          sizeOf(first) >> 20,
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20,
          changelogBytes() >> 20);
      // Leaving, so that the fresh instance's figure is its restore, not this one's session.
      leave(streams);
    }
    Path fresh = dir.resolve("scale-fresh");
    AtomicLong restored = new AtomicLong();
    long restoreStarted = System.nanoTime();
    try (KafkaStreams streams = start(fresh, restored)) {
      while (streams.state() != KafkaStreams.State.RUNNING) {
        if (System.nanoTime() - restoreStarted > Duration.ofMinutes(30).toNanos()) {
          throw new IllegalStateException("the fresh instance did not restore in 30 minutes");
        }
        Thread.sleep(100);
      }
      double seconds = (System.nanoTime() - restoreStarted) / 1e9;
      System.out.printf(
          "scale: a fresh instance restored %d store records in %.1f s (%.0f records/s) and runs%n",
          restored.get(), seconds, restored.get() / seconds);
      if (restored.get() < (long) hosts * perHost) {
        throw new IllegalStateException(
            "restored only " + restored.get() + " records for " + hosts * perHost + " activities");
      }
      if (failover) {
        // Leaving, or the next instance would wait out this one's session before it got tasks.
        leave(streams);
        failover(fresh);
      }
    }
  }

  /**
   * A standby's takeover: the instance that holds every task (its state directory up to date) runs
   * beside a second instance, both with one standby replica; once every task is active on one and a
   * standby on the other, both caught up, the one with more active tasks is stopped without leaving
   * the group, as a killed process does, and the run reports how long until the survivor runs every
   * task: the session timeout that notices the loss, then the rebalance and what the standbys had
   * not copied yet.
   */
  private void failover(Path warm) throws Exception {
    int tasks = commandPartitions();
    AtomicLong restored = new AtomicLong();
    try (KafkaStreams first = start(warm, null, true)) {
      await(() -> first.state() == KafkaStreams.State.RUNNING && activeTasks(first) == tasks);
      long started = System.nanoTime();
      try (KafkaStreams second = start(dir.resolve("scale-standby"), restored, true)) {
        // Kafka Streams spreads the active tasks over both once the second has caught up; each
        // task is active on one and a standby on the other.
        await(
            () ->
                first.state() == KafkaStreams.State.RUNNING
                    && second.state() == KafkaStreams.State.RUNNING
                    && activeTasks(first) + activeTasks(second) == tasks
                    && standbyTasks(first) + standbyTasks(second) == tasks
                    && caughtUp(first)
                    && caughtUp(second));
        System.out.printf(
            "failover: a second instance copied every task's state in %.1f s; active tasks %d"
                + " and %d%n",
            (System.nanoTime() - started) / 1e9, activeTasks(first), activeTasks(second));
        // The one with more active tasks goes, as a killed process does: without leaving.
        KafkaStreams killed = activeTasks(first) >= activeTasks(second) ? first : second;
        KafkaStreams survivor = killed == first ? second : first;
        int moving = activeTasks(killed);
        restored.set(0);
        killed.close(
            org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                    org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        long stopped = System.nanoTime();
        long noticed = 0;
        long deadline = stopped + Duration.ofMinutes(30).toNanos();
        while (!(survivor.state() == KafkaStreams.State.RUNNING
            && activeTasks(survivor) == tasks)) {
          if (noticed == 0 && survivor.state() == KafkaStreams.State.REBALANCING) {
            noticed = System.nanoTime();
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the survivor did not take over in 30 minutes");
          }
          Thread.sleep(10);
        }
        long done = System.nanoTime();
        noticed = noticed == 0 ? stopped : noticed;
        System.out.printf(
            "failover: the survivor runs all %d tasks (%d taken over from its standbys) %.1f s"
                + " after the other instance stopped without leaving the group (its loss noticed"
                + " after %.1f s, the session timeout; taken over %.1f s later, %d store records"
                + " restored)%n",
            tasks,
            moving,
            (done - stopped) / 1e9,
            (noticed - stopped) / 1e9,
            (done - noticed) / 1e9,
            restored.get());
      }
    }
  }

  /**
   * Closes and leaves the group. Kafka Streams stays a member on close by default, and the next
   * instance would get no task until this one's session timed out.
   */
  private static void leave(KafkaStreams streams) {
    streams.close(
        org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofMinutes(1)));
  }

  private static void await(java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the failover run waited 30 minutes");
      }
      Thread.sleep(20);
    }
  }

  private static int activeTasks(KafkaStreams streams) {
    return streams.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
  }

  private static int standbyTasks(KafkaStreams streams) {
    return streams.metadataForLocalThreads().stream().mapToInt(t -> t.standbyTasks().size()).sum();
  }

  /** Every local store partition within a thousand records of its changelog's end. */
  private static boolean caughtUp(KafkaStreams streams) {
    var lags = streams.allLocalStorePartitionLags();
    return !lags.isEmpty()
        && lags.values().stream()
            .flatMap(byPartition -> byPartition.values().stream())
            .allMatch(lag -> lag.offsetLag() <= 1000);
  }

  private int commandPartitions() throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      return commandPartitions(admin).size();
    }
  }

  /** The partitions of lineup.commands: one sequencer task each. */
  private static Set<TopicPartition> commandPartitions(Admin admin) throws Exception {
    return admin
        .describeTopics(Set.of(Topics.COMMANDS.name()))
        .allTopicNames()
        .get()
        .get(Topics.COMMANDS.name())
        .partitions()
        .stream()
        .map(p -> new TopicPartition(Topics.COMMANDS.name(), p.partition()))
        .collect(Collectors.toSet());
  }

  private long write() {
    Initiator user = Initiator.newBuilder().setKind(InitiatorKind.USER).setActorId("bench").build();
    Instant now = Instant.now();
    long count = 0;
    long started = System.nanoTime();
    try (KafkaProducer<String, Command> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.LINGER_MS_CONFIG,
                20,
                ProducerConfig.BATCH_SIZE_CONFIG,
                512 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "lz4"),
            new StringSerializer(),
            Topics.COMMANDS.valueSerde().serializer())) {
      for (int h = 0; h < hosts; h++) {
        String host = "scale-host-" + h;
        producer.send(
            new ProducerRecord<>(Topics.COMMANDS.name(), host, Commands.pause(host, now)));
        count++;
        for (int k = 0; k < perHost; k++) {
          String id = UUID.randomUUID().toString();
          Activity activity =
              Activity.newBuilder()
                  .setActivityId(id)
                  .setHostId(host)
                  .setType(ActivityType.SCRIPT_RUN)
                  .setChannel(Channel.SCRIPT)
                  .setInitiator(user)
                  .setAcceptedAt(now)
                  .setPayload(
                      ScriptRunPayload.newBuilder()
                          .setScriptSha256(String.format("%064x", k))
                          .build())
                  .build();
          producer.send(
              new ProducerRecord<>(
                  Topics.COMMANDS.name(), host, Commands.enqueue(activity, false)));
          count++;
        }
      }
    }
    System.out.printf(
        "scale: wrote %d commands in %.1f s%n", count, (System.nanoTime() - started) / 1e9);
    return count;
  }

  private KafkaStreams start(Path stateDir, AtomicLong restored) {
    return start(stateDir, restored, false);
  }

  /**
   * With {@code standbys}: one standby replica of each task, and a 6 s session (the broker's
   * least), so that a stopped instance's loss is noticed as soon as a group can notice it.
   */
  private KafkaStreams start(Path stateDir, AtomicLong restored, boolean standbys) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    if (standbys) {
      props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
      props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
      props.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 1500);
    }
    props.putAll(SequencerStreams.errorHandling());
    props.putAll(SequencerStreams.guarantees());
    KafkaStreams streams =
        new KafkaStreams(
            SequencerTopology.build(
                QueueSettings.defaults().withMaxUpcomingAge(Duration.ofDays(365)),
                Duration.ofSeconds(1),
                store),
            props);
    if (restored != null) {
      streams.setGlobalStateRestoreListener(
          new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition p, String store, long start, long end) {}

            @Override
            public void onBatchRestored(TopicPartition p, String store, long end, long count) {}

            @Override
            public void onRestoreEnd(TopicPartition p, String store, long total) {
              restored.addAndGet(total);
            }
          });
    }
    streams.start();
    return streams;
  }

  /** Waits until the scale application's committed offsets on lineup.commands reach the end. */
  private void awaitCaughtUp(long written) throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Set<TopicPartition> partitions = commandPartitions(admin);
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin
              .listOffsets(
                  partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
              .all()
              .get();
      long lastReport = System.nanoTime();
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(APPLICATION).partitionsToOffsetAndMetadata().get();
        long behind = 0;
        for (TopicPartition p : partitions) {
          OffsetAndMetadata at = committed.get(p);
          behind += ends.get(p).offset() - (at == null ? 0 : at.offset());
        }
        if (behind <= 0) {
          return;
        }
        if (System.nanoTime() - lastReport > Duration.ofSeconds(10).toNanos()) {
          System.out.printf("  ... %d of %d commands still to take in%n", behind, written);
          lastReport = System.nanoTime();
        }
        Thread.sleep(500);
      }
    }
  }

  private long changelogBytes() throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Set<Integer> brokers =
          admin.describeCluster().nodes().get().stream()
              .map(org.apache.kafka.common.Node::id)
              .collect(Collectors.toSet());
      return admin.describeLogDirs(brokers).allDescriptions().get().values().stream()
          .flatMap(dirs -> dirs.values().stream())
          .flatMap(d -> d.replicaInfos().entrySet().stream())
          .filter(e -> e.getKey().topic().startsWith(APPLICATION + "-"))
          .mapToLong(e -> e.getValue().size())
          .sum();
    }
  }

  /** The bytes of the files under {@code root}; none if it is not there (a heap store's). */
  private static long sizeOf(Path root) throws IOException {
    if (!Files.exists(root)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(Files::isRegularFile)
          .sorted(Comparator.naturalOrder())
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    }
  }
}
