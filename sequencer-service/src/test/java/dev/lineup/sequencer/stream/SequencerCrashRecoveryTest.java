package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule 12 on a real broker: a sequencer killed with SIGKILL in the middle of a load, its local
 * state wiped, replaced by a fresh instance, loses, duplicates and reorders nothing, and no host
 * ever has two activities in flight; with the queue store in RocksDB and in the heap, where the
 * successor rebuilds all of it from the changelog, and in tiers, restarted on its own disk.
 */
@ExtendWith(LineupInfrastructure.class)
class SequencerCrashRecoveryTest {

  private static final int HOSTS = 300;
  private static final int PER_HOST = 10;

  /** Each on a broker of its own (the infrastructure is per test class, a nested one's its own). */
  @Nested
  class InRocksDb {
    @Test
    void aKilledSequencerWithItsStateWipedLosesDuplicatesAndReordersNothing(EmbeddedKafka kafka)
        throws Exception {
      crashAndRecover(QueueStoreKind.ROCKSDB, kafka, false);
    }
  }

  @Nested
  class InTheHeap {
    @Test
    void aKilledSequencerWithItsStateWipedLosesDuplicatesAndReordersNothing(EmbeddedKafka kafka)
        throws Exception {
      crashAndRecover(QueueStoreKind.HEAP, kafka, false);
    }
  }

  /**
   * The successor starts on the killed one's disk, where the RocksDB tier of the finished
   * activities is left as the kill left it: it must be emptied and refilled from the changelog.
   */
  @Nested
  class InTiersRestartedOnTheSameDisk {
    @Test
    void aKilledSequencerRestartedOverItsOwnStateLosesDuplicatesAndReordersNothing(
        EmbeddedKafka kafka) throws Exception {
      crashAndRecover(QueueStoreKind.TIERED, kafka, true);
    }
  }

  /**
   * @param sameDisk whether the successor starts on the killed one's state directory, as a process
   *     restarted on its host would; otherwise that directory is wiped and it starts on an empty
   *     one
   */
  private static void crashAndRecover(QueueStoreKind store, EmbeddedKafka kafka, boolean sameDisk)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    Path firstState = Files.createTempDirectory("sequencer-crash-a");
    Process first = startInItsOwnProcess(bootstrap, firstState, store);
    try (Devices devices = new Devices(bootstrap)) {
      Map<String, List<String>> accepted = Load.enqueue(bootstrap, "crash", HOSTS, PER_HOST);
      int total = HOSTS * PER_HOST;

      awaitEnded(bootstrap, total / 4, Duration.ofMinutes(3));
      first.destroyForcibly().waitFor();
      if (sameDisk) {
        try (Stream<Path> files = Files.walk(firstState)) {
          assertThat(files.filter(f -> f.endsWith(Path.of("rocksdb", "sequencer-queue-retained"))))
              .as("finished activities were kept in a RocksDB tier")
              .isNotEmpty();
        }
      } else {
        deleteRecursively(firstState);
      }
      long endedAtCrash = TopicAudit.ended(bootstrap);
      assertThat(endedAtCrash).as("the crash came mid-load").isLessThan(total);
      System.out.printf(
          "crash: killed the sequencer with %d of %d activities ended, %d answered by devices%n",
          endedAtCrash, total, devices.answered());

      try (SequencerNode second =
          new SequencerNode(
                  bootstrap,
                  sameDisk ? firstState : Files.createTempDirectory("sequencer-crash-b"),
                  store)
              .start()) {
        awaitEnded(bootstrap, total, Duration.ofMinutes(4));
        TopicAudit audit = TopicAudit.read(bootstrap);
        audit.assertContractHeld(accepted);
        System.out.printf(
            "crash: audited %d events and %d releases after recovery%n",
            audit.events.size(), audit.releases.size());
      }
    } finally {
      first.destroyForcibly();
    }
  }

  private static Process startInItsOwnProcess(String bootstrap, Path stateDir, QueueStoreKind store)
      throws Exception {
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                SequencerNode.class.getName(),
                bootstrap,
                stateDir.toString(),
                store.name())
            .redirectErrorStream(true)
            .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream()));
    Instant deadline = Instant.now().plusSeconds(120);
    String line;
    while ((line = out.readLine()) != null) {
      if (line.contains("SEQUENCER RUNNING")) {
        // Keep draining its output so the child never blocks on a full pipe.
        Thread drain = new Thread(() -> out.lines().forEach(l -> {}), "sequencer-child-output");
        drain.setDaemon(true);
        drain.start();
        return process;
      }
      if (Instant.now().isAfter(deadline)) {
        break;
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException("the sequencer process did not start");
  }

  static void awaitEnded(String bootstrap, long count, Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    long ended = 0;
    while (Instant.now().isBefore(deadline)) {
      ended = TopicAudit.ended(bootstrap);
      if (ended >= count) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "only " + ended + " of " + count + " activities ended within " + timeout);
  }

  private static void deleteRecursively(Path root) throws Exception {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertThat(root).doesNotExist();
  }
}
