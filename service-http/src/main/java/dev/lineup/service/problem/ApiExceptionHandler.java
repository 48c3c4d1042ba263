package dev.lineup.service.problem;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/** Turns an {@link ApiException} into its problem+json answer. */
@Singleton
public final class ApiExceptionHandler
    implements ExceptionHandler<ApiException, HttpResponse<Problem>> {

  @Override
  public HttpResponse<Problem> handle(HttpRequest request, ApiException exception) {
    return HttpResponse.<Problem>status(exception.status())
        .body(exception.problem())
        .contentType(Problem.MEDIA_TYPE);
  }
}
