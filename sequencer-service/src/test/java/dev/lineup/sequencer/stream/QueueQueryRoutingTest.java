package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.FreePorts;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.sequencer.SequencerApplication;
import dev.lineup.sequencer.SequencerRuntime;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /v1/hosts/{hostId}/queue} answers through any instance, from the one owning the host.
 */
@ExtendWith(LineupInfrastructure.class)
class QueueQueryRoutingTest {

  private static final String TOKEN = "routing-admin-token-0123456789";
  private static final List<ApplicationContext> instances = new ArrayList<>();
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start(EmbeddedKafka kafka) throws Exception {
    for (int i = 0; i < 2; i++) {
      int port = FreePorts.pick();
      ApplicationContext context =
          ApplicationContext.builder()
              .environments(SequencerApplication.ENVIRONMENT)
              .deduceEnvironment(false)
              .properties(
                  Map.of(
                      "micronaut.server.port",
                      port,
                      "lineup.kafka.bootstrap-servers",
                      kafka.bootstrapServers(),
                      "lineup.sequencer.application-id",
                      "routing-test",
                      "lineup.sequencer.state-dir",
                      Files.createTempDirectory("routing").toString(),
                      "lineup.sequencer.advertised-endpoint",
                      "127.0.0.1:" + port,
                      "lineup.sequencer.replication-factor",
                      1,
                      "lineup.admin-token",
                      TOKEN))
              .start();
      context.getBean(EmbeddedServer.class).start();
      instances.add(context);
    }
    await()
        .atMost(Duration.ofMinutes(1))
        .until(() -> instances.stream().allMatch(c -> c.getBean(SequencerRuntime.class).running()));
  }

  @AfterAll
  static void stop() {
    instances.forEach(ApplicationContext::close);
  }

  @Test
  void everyHostsQueueAnswersThroughEitherInstanceFromItsOwner() throws Exception {
    var accepted = Load.enqueue(kafkaBootstrap(), "routing", 20, 2);
    Set<String> owners = new HashSet<>();
    for (String host : accepted.keySet()) {
      owners.add(
          instances
              .get(0)
              .getBean(SequencerRuntime.class)
              .streams()
              .queryMetadataForKey(SequencerTopology.QUEUE_STORE, host, new StringSerializer())
              .activeHost()
              .toString());
    }
    assertThat(owners)
        .as("both instances own some hosts, so some queries are forwarded")
        .hasSize(2);

    for (String host : accepted.keySet()) {
      for (ApplicationContext instance : instances) {
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () -> {
                  HttpResponse<String> answer = queue(instance, host);
                  assertThat(answer.statusCode()).isEqualTo(200);
                  assertThat(answer.body())
                      .contains("\"host_id\":\"" + host + "\"")
                      .contains(accepted.get(host).get(0))
                      .contains(accepted.get(host).get(1));
                });
      }
    }
  }

  @Test
  void theQueueEndpointNeedsABearerToken() throws Exception {
    var answer =
        http.send(
            HttpRequest.newBuilder(base(instances.get(0)).resolve("/v1/hosts/any/queue")).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(answer.statusCode()).isEqualTo(401);
    assertThat(answer.headers().firstValue("content-type")).hasValue("application/problem+json");
  }

  private static HttpResponse<String> queue(ApplicationContext instance, String host)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(base(instance).resolve("/v1/hosts/" + host + "/queue"))
            .header("Authorization", "Bearer " + TOKEN)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI base(ApplicationContext instance) {
    return instance.getBean(EmbeddedServer.class).getURI();
  }

  private static String kafkaBootstrap() {
    return instances
        .get(0)
        .getProperty("lineup.kafka.bootstrap-servers", String.class)
        .orElseThrow();
  }
}
