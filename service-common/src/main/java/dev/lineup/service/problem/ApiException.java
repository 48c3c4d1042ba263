package dev.lineup.service.problem;

import io.micronaut.http.HttpStatus;
import java.util.List;

/** A request Lineup refuses, with everything its problem+json answer says. */
public class ApiException extends RuntimeException {

  private final HttpStatus status;
  private final String title;
  private final List<Problem.FieldError> errors;

  public ApiException(HttpStatus status, String title, String detail) {
    this(status, title, detail, List.of());
  }

  public ApiException(
      HttpStatus status, String title, String detail, List<Problem.FieldError> errors) {
    super(detail);
    this.status = status;
    this.title = title;
    this.errors = List.copyOf(errors);
  }

  public static ApiException invalid(List<Problem.FieldError> errors) {
    return new ApiException(
        HttpStatus.BAD_REQUEST, "Invalid request", errors.size() + " field(s) are invalid", errors);
  }

  public static ApiException notFound(String what) {
    return new ApiException(HttpStatus.NOT_FOUND, "Not found", what + " was not found");
  }

  public static ApiException conflict(String detail) {
    return new ApiException(HttpStatus.CONFLICT, "Conflict", detail);
  }

  public Problem problem() {
    return Problem.of(status, title, getMessage(), errors);
  }

  public HttpStatus status() {
    return status;
  }
}
