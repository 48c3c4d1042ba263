package dev.lineup.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.lineup.embedded.SettingsCatalogue;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * What can be checked of {@link LineupContainer} without a Docker engine (these machines have
 * none): the images it names, the environment each service gets, the order they start in. Starting
 * it needs Docker; that half is not run here (the module's README says so).
 */
class LineupContainerTest {

  private final LineupContainer lineup = new LineupContainer();

  @Test
  void startsThisBuildsImagesAndTheBrokerAndDatabaseItWasTestedWith() {
    assertThat(lineup.images())
        .extracting(DockerImageName::asCanonicalNameString)
        .containsExactly(
            "apache/kafka:4.3.1",
            "postgres:16",
            "lineup/cli:0.1.0-SNAPSHOT",
            "lineup/sequencer:0.1.0-SNAPSHOT",
            "lineup/intake:0.1.0-SNAPSHOT",
            "lineup/gateway:0.1.0-SNAPSHOT");
    assertThat(new LineupContainer("ghcr.io/acme/lineup", "1.2.3").images())
        .extracting(DockerImageName::asCanonicalNameString)
        .contains("ghcr.io/acme/lineup/gateway:1.2.3");
  }

  @Test
  void everyVariableItSetsIsASettingOfThatService() {
    Map<String, Map<String, String>> given =
        Map.of(
            "intake", lineup.intakeEnvironment(),
            "sequencer", lineup.sequencerEnvironment(),
            "gateway", lineup.gatewayEnvironment());
    given.forEach(
        (service, env) -> {
          SettingsCatalogue settings = SettingsCatalogue.of(service);
          assertThat(env.keySet())
              .as(service + "'s variables")
              .allSatisfy(v -> assertThat(settings.hasVariable(v)).as(v).isTrue());
        });
    // The settings a service cannot start without, or would start wrong without.
    assertThat(lineup.gatewayEnvironment())
        .containsKeys("LINEUP_ENROLL_SECRET", "LINEUP_GATEWAY_DATABASE_URL", "LINEUP_ADMIN_TOKEN")
        .containsEntry("LINEUP_GATEWAY_INTAKE_URL", "http://intake:8080");
    assertThat(lineup.sequencerEnvironment())
        .containsEntry("LINEUP_SEQUENCER_ADVERTISED_ENDPOINT", "sequencer:8082");
    assertThat(lineup.adminToken()).hasSizeGreaterThanOrEqualTo(16);
    assertThat(lineup.enrollSecret()).hasSizeGreaterThanOrEqualTo(16);
  }

  @Test
  void theCatalogueItIsCheckedAgainstRefusesAMisspeltVariable() {
    SettingsCatalogue intake = SettingsCatalogue.of("intake");
    assertThat(intake.hasVariable("LINEUP_INTAKE_DATABASE_URL")).isTrue();
    assertThat(intake.hasVariable("LINEUP_ADMIN_TOKEN")).as("a commented-out secret").isTrue();
    assertThat(intake.hasVariable("LINEUP_INTAKE_DATABASE_URI")).isFalse();
    assertThat(intake.hasVariable("LINEUP_SEQUENCER_TICK")).as("another service's").isFalse();
  }

  @Test
  void topicsAreProvisionedBeforeAnyServiceAndTheGatewayComesLast() {
    List<GenericContainer<?>> c = lineup.containers();
    GenericContainer<?> topics = c.get(2);
    assertThat(topics.getCommandParts()).containsExactly("topics", "provision");
    assertThat(c.get(3).getDependencies()).containsExactly(topics);
    assertThat(c.get(4).getDependencies()).contains(topics, c.get(1));
    assertThat(c.get(5).getDependencies()).containsExactlyInAnyOrder(c.get(3), c.get(4));
    assertThat(c.subList(3, 6))
        .extracting(GenericContainer::getExposedPorts)
        .containsExactly(List.of(8082), List.of(8080), List.of(8081));
  }

  /** What a user on a machine like ours sees; where Docker runs, starting is not this test's. */
  @Test
  void withoutADockerEngineStartingSaysSo() {
    assumeFalse(
        DockerClientFactory.instance().isDockerAvailable(),
        "a Docker engine is here: starting would pull and run the images");
    assertThatThrownBy(lineup::start).hasMessageContaining("Docker");
  }
}
