package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.agent.Agent;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.FreePorts;
import dev.lineup.schemas.TopicProvisioner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Lineup in the shape production runs it: each service a process of its own started from its
 * packaged artifact with its settings in environment variables, two sequencers and two gateways
 * sharing the work, the reference agent's simulated hosts enrolled half at each gateway. Under
 * load, one gateway, one sequencer and the intake are killed with SIGKILL in turn and started again
 * under the same instance id, as a Deployment or StatefulSet restarts a pod. In the end every
 * accepted activity ran exactly once, and every service stops cleanly on SIGTERM.
 */
class ServicesApartTest {

  private static final String ADMIN = "apart-admin-token-0123456789";
  private static final String ENROLL = "apart-enroll-secret-0123456789";
  private static final int HOSTS_PER_GATEWAY = 5;
  private static final Duration START = Duration.ofMinutes(3);

  @Test
  void twoSequencersAndTwoGatewaysApartSurviveSigkillsAndLoseNothing() throws Exception {
    Path dir = Files.createTempDirectory("apart-");
    EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0, Map.of());
    String bootstrap = kafka.bootstrapServers();
    // Six partitions: each sequencer owns three tasks, each gateway consumes three partitions.
    TopicProvisioner.provision(bootstrap, 6, (short) 1);
    EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0);
    var environments = ServiceEnvironments.on(bootstrap, database, ADMIN, ENROLL);

    int intakePort = FreePorts.orFree(0);
    int[] sequencerPorts = {FreePorts.orFree(0), FreePorts.orFree(0)};
    ServiceProcess intake =
        new ServiceProcess(
            "intake-0",
            "intake-service",
            intakePort,
            environments.intake(0, intakePort, "http://127.0.0.1:" + sequencerPorts[0]));
    List<ServiceProcess> sequencers = new ArrayList<>();
    List<ServiceProcess> gateways = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      int port = sequencerPorts[i];
      sequencers.add(
          new ServiceProcess(
              "sequencer-" + i,
              "sequencer-service",
              port,
              environments.sequencer(i, port, dir.resolve("sequencer-" + i))));
      int gatewayPort = FreePorts.orFree(0);
      gateways.add(
          new ServiceProcess(
              "gateway-" + i,
              "executor-gateway",
              gatewayPort,
              environments.gateway(i, gatewayPort, intake.url().toString())));
    }
    List<ServiceProcess> all =
        Stream.of(sequencers.stream(), Stream.of(intake), gateways.stream())
            .flatMap(s -> s)
            .toList();

    String prefix = "apart-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    List<String> hosts = new ArrayList<>();
    hosts.addAll(UpstreamLoad.hosts(prefix + "a", HOSTS_PER_GATEWAY));
    hosts.addAll(UpstreamLoad.hosts(prefix + "b", HOSTS_PER_GATEWAY));
    UpstreamLoad load = new UpstreamLoad(intake.url(), ADMIN, hosts);
    try {
      for (ServiceProcess service : all) {
        service.start();
      }
      for (ServiceProcess service : all) {
        service.awaitHealthy(START);
      }
      try (Agent atFirst =
              Agent.simulate(
                  gateways.get(0).url(), ENROLL, HOSTS_PER_GATEWAY, prefix + "a", Duration.ZERO);
          Agent atSecond =
              Agent.simulate(
                  gateways.get(1).url(), ENROLL, HOSTS_PER_GATEWAY, prefix + "b", Duration.ZERO)) {
        load.start();
        load.awaitMore(40, Duration.ofMinutes(1), "load under way");
        for (ServiceProcess victim : List.of(gateways.get(1), sequencers.get(1), intake)) {
          victim.kill();
          victim.start();
          victim.awaitHealthy(START);
          load.awaitMore(
              20, Duration.ofMinutes(2), "load goes on after " + victim.name + " came back");
        }
        load.close();

        load.assertEachRanExactlyOnce(bootstrap, () -> atFirst.completed() + atSecond.completed());
        assertThat(atSecond.completed())
            .as("the hosts at the gateway that was killed got their tasks")
            .isPositive();
      }

      // The health check compose runs in each container, here from the packaged jar's class path.
      for (ServiceProcess service : all) {
        assertThat(service.probe()).as(service.name + " health probe exit code").isZero();
      }

      // As Kubernetes or compose stops a service: SIGTERM, and it is gone soon and quietly.
      ServiceProcess.assertEachStopsOnSigterm(all);
    } catch (Throwable e) {
      ServiceProcess.printLogTails(all);
      throw e;
    } finally {
      load.close();
      ServiceProcess.killAll(all);
      kafka.close();
      database.close();
    }
  }
}
