package dev.lineup.service.problem;

import dev.lineup.service.kafka.Failures;
import dev.lineup.service.kafka.NotStoredException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka did not take a request's write. While Kafka is away or slow: 503 with {@code Retry-After},
 * so the caller sends the same request again (with its {@code Idempotency-Key}, if it has one).
 * Refused for good (a record too large for its topic, a producer fenced by a twin): a 500, logged,
 * since sending it again cannot help and an operator must act.
 */
@Singleton
public final class NotStoredExceptionHandler
    implements ExceptionHandler<NotStoredException, HttpResponse<Problem>> {

  private static final Logger LOG = LoggerFactory.getLogger(NotStoredExceptionHandler.class);

  @Override
  public HttpResponse<Problem> handle(HttpRequest request, NotStoredException exception) {
    if (Failures.isTransient(exception)) {
      return Problem.retryLater("Queue unavailable", exception.getMessage() + ": try again");
    }
    LOG.error(
        "{} {}: {}", request.getMethod(), request.getPath(), exception.getMessage(), exception);
    return Problem.response(
        HttpStatus.INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "an internal error occurred; it has been logged",
        List.of());
  }
}
