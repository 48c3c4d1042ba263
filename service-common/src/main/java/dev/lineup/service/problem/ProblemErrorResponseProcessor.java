package dev.lineup.service.problem;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Micronaut's own errors (no such route, unreadable JSON, a missing parameter, 413, ...) answer in
 * the same problem+json shape as Lineup's.
 */
@Singleton
@Replaces(ErrorResponseProcessor.class)
public final class ProblemErrorResponseProcessor implements ErrorResponseProcessor<Problem> {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ProblemErrorResponseProcessor.class);

  @Override
  public MutableHttpResponse<Problem> processResponse(
      ErrorContext context, MutableHttpResponse<?> response) {
    HttpStatus status = response.getStatus();
    List<Problem.FieldError> errors =
        context.getErrors().stream()
            .filter(e -> e.getPath().isPresent())
            .map(e -> new Problem.FieldError(e.getPath().get(), e.getMessage()))
            .toList();
    // A server error's message is about our internals: log it, never show it to the caller.
    String detail =
        status.getCode() >= 500
            ? "an internal error occurred; it has been logged"
            : context.getErrors().stream()
                .map(Error::getMessage)
                .findFirst()
                .orElse(status.getReason());
    if (status.getCode() >= 500) {
      context
          .getRootCause()
          .ifPresent(
              e ->
                  LOG.error(
                      "{} {} failed",
                      context.getRequest().getMethod(),
                      context.getRequest().getPath(),
                      e));
    }
    return response
        .body(Problem.of(status, status.getReason(), detail, errors))
        .contentType(Problem.MEDIA_TYPE);
  }
}
