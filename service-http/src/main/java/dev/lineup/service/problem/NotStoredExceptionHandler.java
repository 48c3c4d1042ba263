package dev.lineup.service.problem;

import dev.lineup.service.kafka.NotStoredException;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/**
 * Kafka did not take a request's write: 503 with {@code Retry-After}, so the caller sends the same
 * request again (with its {@code Idempotency-Key}, if it has one).
 */
@Singleton
public final class NotStoredExceptionHandler
    implements ExceptionHandler<NotStoredException, HttpResponse<Problem>> {

  @Override
  public HttpResponse<Problem> handle(HttpRequest request, NotStoredException exception) {
    return Problem.retryLater("Queue unavailable", exception.getMessage());
  }
}
