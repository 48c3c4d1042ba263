package dev.lineup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the whole-box split names the processes of Lineup running apart from the bench. */
class BoxCpuTest {

  @Test
  void namesEachPackagedServiceByItsJar() {
    assertThat(label("java", "java\0-jar\0intake-service/target/intake-service-0.1.0.jar"))
        .isEqualTo("intake");
    assertThat(label("java", "java\0-jar\0sequencer-service/target/sequencer-service-0.1.0.jar"))
        .isEqualTo("sequencer");
    assertThat(label("java", "java\0-jar\0executor-gateway/target/executor-gateway-0.1.0.jar"))
        .isEqualTo("gateway");
  }

  @Test
  void theDevstacksClassPathNamingEveryServiceIsStillTheBroker() {
    String devstack =
        "java\0-cp\0devstack/target/classes:/m2/intake-service-0.1.0.jar:"
            + "/m2/sequencer-service-0.1.0.jar\0dev.lineup.devstack.Devstack\0--infra-only";
    assertThat(label("java", devstack)).isEqualTo("devstack (broker)");
  }

  @Test
  void anotherPostgresIsNamedSoAndAnythingElseIsNotLineups() {
    assertThat(label("postgres", "postgres: lineup intake 127.0.0.1 idle"))
        .isEqualTo("other postgres");
    assertThat(label("java", "java\0-jar\0some-other-app.jar")).isNull();
    assertThat(label("bash", "bash\0intake-service")).isNull();
    assertThat(label("java", null)).as("a process that ended while read").isNull();
  }

  private static String label(String comm, String cmdline) {
    return BoxCpu.apartLabel(comm, cmdline);
  }
}
