package dev.lineup.service.problem;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.service.kafka.NotStoredException;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A write Kafka did not store, as a caller sees it: 503 problem+json with {@code Retry-After}, the
 * detail saying what was not stored, never the broker's own error.
 */
class NotStoredAnswerTest {

  private static final String SPEC = "NotStoredAnswerTest";

  @Requires(property = "spec.name", value = SPEC)
  @Controller("/v1/store")
  static final class StoreController {
    @Post
    String store() {
      throw new NotStoredException(
          "the command could not be stored: try again",
          new org.apache.kafka.common.errors.TimeoutException("broker-7.internal:9092 timed out"));
    }
  }

  @Test
  void answers503WithRetryAfterAndNoBrokerDetail() throws Exception {
    try (EmbeddedServer server =
        ApplicationContext.run(
            EmbeddedServer.class,
            Map.of(
                "spec.name",
                SPEC,
                "micronaut.server.port",
                -1,
                "micronaut.server.host",
                "127.0.0.1"))) {
      HttpResponse<String> answer =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(server.getURL() + "/v1/store"))
                      .POST(HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(answer.statusCode()).isEqualTo(503);
      assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(answer.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith(Problem.CONTENT_TYPE));
      assertThat(answer.body())
          .contains("\"title\":\"Queue unavailable\"")
          .contains("the command could not be stored: try again")
          .doesNotContain("broker-7");
    }
  }
}
