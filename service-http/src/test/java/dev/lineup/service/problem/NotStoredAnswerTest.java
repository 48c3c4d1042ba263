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
  @Controller("/v1")
  static final class StoreController {
    /** Kafka did not answer in time: the same request again may pass. */
    @Post("/slow")
    String slow() {
      throw new NotStoredException(
          "the command could not be stored",
          new org.apache.kafka.common.errors.TimeoutException("broker-7.internal:9092 timed out"));
    }

    /** Kafka refused the record for good: sending it again cannot help. */
    @Post("/refused")
    String refused() {
      throw new NotStoredException(
          "the command could not be stored",
          new java.util.concurrent.ExecutionException(
              new org.apache.kafka.common.errors.RecordTooLargeException("broker-7 said 1048588")));
    }
  }

  private static HttpResponse<String> post(EmbeddedServer server, String path) throws Exception {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(
            HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answers503WithRetryAfterWhileKafkaIsAwayAnd500WhenItRefusedForGood() throws Exception {
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
      HttpResponse<String> answer = post(server, "/v1/slow");

      assertThat(answer.statusCode()).isEqualTo(503);
      assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(answer.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith(Problem.CONTENT_TYPE));
      assertThat(answer.body())
          .contains("\"title\":\"Queue unavailable\"")
          .contains("the command could not be stored: try again")
          .doesNotContain("broker-7");

      HttpResponse<String> refused = post(server, "/v1/refused");
      assertThat(refused.statusCode()).as("no use sending it again").isEqualTo(500);
      assertThat(refused.headers().firstValue("Retry-After")).isEmpty();
      assertThat(refused.body()).doesNotContain("broker-7").doesNotContain("1048588");
    }
  }
}
