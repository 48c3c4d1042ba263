package dev.lineup.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import io.micronaut.context.ApplicationContext;
import io.micronaut.json.JsonMapper;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;

/**
 * The gateway as a service of its own on the test's broker and PostgreSQL, with nothing else of
 * Lineup running, and the agent API calls a test makes to it. No intake: only content fetches would
 * call it, and none happen.
 */
final class GatewayAlone implements AutoCloseable {

  static final String DATABASE = "lineup_gateway";
  static final String ENROLL = "gateway-enroll-secret-0123456789";

  final ApplicationContext context;
  final URI url;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private GatewayAlone(ApplicationContext context) {
    this.context = context;
    this.url = context.getBean(EmbeddedServer.class).start().getURI();
  }

  /** Starts it; {@code extra} settings go over the defaults. */
  static GatewayAlone start(
      EmbeddedKafka kafka, EmbeddedDatabase database, Map<String, Object> extra) throws Exception {
    database.ensureDatabase(DATABASE);
    Map<String, Object> settings = new HashMap<>();
    settings.put("micronaut.server.port", -1);
    settings.put("micronaut.server.host", "127.0.0.1");
    settings.put("lineup.kafka.bootstrap-servers", kafka.bootstrapServers());
    settings.put("lineup.admin-token", "gateway-admin-token-0123456789");
    settings.put("lineup.enroll-secret", ENROLL);
    settings.put("lineup.gateway.database.url", database.jdbcUrl(DATABASE));
    settings.put("lineup.gateway.database.user", database.user());
    settings.put("lineup.gateway.intake-url", "http://127.0.0.1:9");
    settings.putAll(extra);
    return new GatewayAlone(
        ApplicationContext.builder()
            .environments(GatewayApplication.ENVIRONMENT)
            .deduceEnvironment(false)
            .banner(false)
            .properties(settings)
            .start());
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Enrolls {@code host} and answers its host token. */
  String enroll(String host) throws Exception {
    var answer =
        send(
            HttpRequest.newBuilder(url.resolve("/v1/agent/enroll"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"host_id\":\"" + host + "\",\"enroll_secret\":\"" + ENROLL + "\"}")));
    assertThat(answer.statusCode()).isEqualTo(200);
    return (String) json(answer.body()).get("host_token");
  }

  /** {@code GET /v1/agent/tasks/next?wait=<waitSeconds>} as the host holding {@code hostToken}. */
  HttpResponse<String> next(String hostToken, int waitSeconds) throws Exception {
    return send(
        HttpRequest.newBuilder(url.resolve("/v1/agent/tasks/next?wait=" + waitSeconds))
            .header("Authorization", "Bearer " + hostToken));
  }

  /** Reports {@code body} as the result of the task in {@code task}. */
  HttpResponse<String> report(Map<String, Object> task, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(
                url.resolve("/v1/agent/tasks/" + task.get("activity_id") + "/result"))
            .header("Authorization", "Bearer " + task.get("task_token"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> json(String body) throws Exception {
    return context.getBean(JsonMapper.class).readValue(body, Map.class);
  }

  @Override
  public void close() {
    context.close();
  }
}
