package dev.lineup.service.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.service.health.Readiness;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The container health check against a real {@code /health}: up, then down, then gone. */
class HealthProbeTest {

  @Test
  void exitsZeroOnlyWhileHealthAnswers200() {
    AtomicBoolean ready = new AtomicBoolean(true);
    Readiness check =
        new Readiness() {
          @Override
          public String name() {
            return "probe-test";
          }

          @Override
          public boolean ready() {
            return ready.get();
          }
        };
    URI health;
    try (ApplicationContext context =
        ApplicationContext.builder()
            .properties(Map.of("micronaut.server.port", -1))
            .singletons(check)
            .start()) {
      EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
      health = server.getURI().resolve("/health");

      assertThat(HealthProbe.check(health)).isZero();
      ready.set(false);
      assertThat(HealthProbe.check(health)).as("503 while not ready").isEqualTo(1);
    }
    assertThat(HealthProbe.check(health)).as("nothing listening").isEqualTo(1);
  }
}
