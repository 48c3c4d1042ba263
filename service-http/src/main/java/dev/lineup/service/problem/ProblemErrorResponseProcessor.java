package dev.lineup.service.problem;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import io.micronaut.serde.exceptions.SerdeException;
import io.micronaut.serde.exceptions.path.CollectionItemReferencePath;
import io.micronaut.serde.exceptions.path.MapItemReferencePath;
import io.micronaut.serde.exceptions.path.ReferencePath;
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
        unreadableField(context)
            .map(List::of)
            .orElseGet(
                () ->
                    context.getErrors().stream()
                        .filter(e -> e.getPath().isPresent())
                        .map(e -> new Problem.FieldError(e.getPath().get(), e.getMessage()))
                        .toList());
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
    if (!errors.isEmpty()
        && errors.get(0).field() != null
        && !errors.get(0).field().startsWith("/")) {
      detail = "the body has a field of the wrong type or form: " + errors.get(0).field();
    }
    return response
        .body(Problem.of(status, status.getReason(), detail, errors))
        .contentType(Problem.MEDIA_TYPE);
  }

  /**
   * A body that is JSON but does not fit the request's shape (a string where a number goes, an
   * object for a list): the field to blame, in the body's own snake_case names, from the decoder's
   * path, so that every 400 names its field. The decoder's message (Jackson tokens, class names) is
   * for us, not the caller.
   */
  private static java.util.Optional<Problem.FieldError> unreadableField(ErrorContext context) {
    for (Throwable t = context.getRootCause().orElse(null); t != null; t = t.getCause()) {
      if (t instanceof SerdeException serde && !serde.getPath().isEmpty()) {
        StringBuilder field = new StringBuilder();
        // The decoder lists the path innermost first ("payload", then "activity"); the body reads
        // outermost first (activity.payload).
        java.util.List<ReferencePath> path = new java.util.ArrayList<>(serde.getPath());
        java.util.Collections.reverse(path);
        for (ReferencePath step : path) {
          if (step instanceof CollectionItemReferencePath item) {
            field.append('[').append(item.index()).append(']');
          } else if (step instanceof MapItemReferencePath entry) {
            field.append('.').append(entry.key());
          } else {
            if (!field.isEmpty()) {
              field.append('.');
            }
            field.append(snakeCase(step.getArgument().getName()));
          }
        }
        return java.util.Optional.of(
            new Problem.FieldError(field.toString(), "has the wrong type or form"));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return java.util.Optional.empty();
  }

  private static String snakeCase(String name) {
    return name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
