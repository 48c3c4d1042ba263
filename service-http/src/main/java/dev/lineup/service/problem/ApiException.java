package dev.lineup.service.problem;

import io.micronaut.http.HttpStatus;
import java.util.List;

/** A request Lineup refuses, with everything its problem+json answer says. */
public class ApiException extends RuntimeException {

  private final HttpStatus status;
  private final String title;
  private final List<Problem.FieldError> errors;
  private final String reason;

  public ApiException(HttpStatus status, String title, String detail) {
    this(status, title, detail, List.of());
  }

  public ApiException(
      HttpStatus status, String title, String detail, List<Problem.FieldError> errors) {
    this(status, title, detail, errors, null);
  }

  public ApiException(
      HttpStatus status,
      String title,
      String detail,
      List<Problem.FieldError> errors,
      String reason) {
    super(detail);
    this.status = status;
    this.title = title;
    this.errors = List.copyOf(errors);
    this.reason = reason;
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

  /** A 409 with a reason code and the fields in conflict. */
  public static ApiException conflict(
      String reason, String detail, List<Problem.FieldError> fields) {
    return new ApiException(HttpStatus.CONFLICT, "Conflict", detail, fields, reason);
  }

  public Problem problem() {
    return Problem.of(status, title, getMessage(), errors, reason);
  }

  /** The reason code of the problem, if it has one. */
  public String reason() {
    return reason;
  }

  public HttpStatus status() {
    return status;
  }
}
