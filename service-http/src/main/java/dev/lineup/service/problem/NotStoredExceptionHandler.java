package dev.lineup.service.problem;

import dev.lineup.service.kafka.NotStoredException;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Kafka did not take a request's write: 503 with {@code Retry-After}, so the caller sends the same
 * request again (with its {@code Idempotency-Key}, if it has one).
 */
@Singleton
public final class NotStoredExceptionHandler
    implements ExceptionHandler<NotStoredException, HttpResponse<Problem>> {

  @Override
  public HttpResponse<Problem> handle(HttpRequest request, NotStoredException exception) {
    return HttpResponse.<Problem>status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(HttpHeaders.RETRY_AFTER, "1")
        .body(
            Problem.of(
                HttpStatus.SERVICE_UNAVAILABLE,
                "Queue unavailable",
                exception.getMessage(),
                List.of()))
        .contentType(Problem.MEDIA_TYPE);
  }
}
