package dev.lineup.sequencer.stream;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two sequencer instances share the partitions; one stops; the other takes its work over. */
@ExtendWith(LineupInfrastructure.class)
class SequencerFailoverTest {

  @Test
  void workMovesToTheSurvivorWhenOneOfTwoInstancesStopsAndTheContractHolds(EmbeddedKafka kafka)
      throws Exception {
    String bootstrap = kafka.bootstrapServers();
    try (SequencerNode one =
            new SequencerNode(bootstrap, Files.createTempDirectory("seq-one")).start();
        SequencerNode two =
            new SequencerNode(bootstrap, Files.createTempDirectory("seq-two")).start();
        Devices devices = new Devices(bootstrap)) {
      one.awaitRunning(Duration.ofMinutes(1));
      two.awaitRunning(Duration.ofMinutes(1));
      Map<String, List<String>> accepted = Load.enqueue(bootstrap, "failover", 100, 10);

      SequencerCrashRecoveryTest.awaitEnded(bootstrap, 300, Duration.ofMinutes(3));
      one.close();

      SequencerCrashRecoveryTest.awaitEnded(bootstrap, 1000, Duration.ofMinutes(3));
      TopicAudit.read(bootstrap).assertContractHeld(accepted);
    }
  }
}
