package dev.lineup.service.problem;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * An RFC 9457 problem detail, as every Lineup API answers an error.
 *
 * @param errors for a 400, one entry per invalid field (and for a 409, the field in conflict)
 * @param reason a Lineup reason code a program can act on (e.g. {@code ID_CONFLICT}), when the
 *     status alone does not say what happened
 */
@Serdeable
@Schema(
    name = "Problem",
    description = "An RFC 9457 problem detail: how every Lineup API answers an error.")
public record Problem(
    @Schema(example = "about:blank") String type,
    @Schema(example = "Invalid request") String title,
    @Schema(description = "The HTTP status.", example = "400") int status,
    @Schema(example = "1 field(s) are invalid") @Nullable String detail,
    @Schema(description = "For a 400, every invalid field; for a 409, the fields in conflict.")
        @Nullable
        List<FieldError> errors,
    @Schema(
            description = "A reason code a program can act on, when the status does not say.",
            example = "ID_CONFLICT")
        @Nullable
        String reason) {

  public static final String CONTENT_TYPE = "application/problem+json";
  public static final MediaType MEDIA_TYPE = MediaType.of(CONTENT_TYPE);

  /** One invalid field: its JSON path in the request and what is wrong with it. */
  @Serdeable
  @Schema(name = "FieldError")
  public record FieldError(
      @Schema(
              description = "A JSON path in the request",
              requiredMode = Schema.RequiredMode.REQUIRED,
              example = "payload.installer_id")
          String field,
      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "is required")
          String message) {}

  public static Problem of(
      HttpStatus status, String title, String detail, List<FieldError> errors) {
    return of(status, title, detail, errors, null);
  }

  public static Problem of(
      HttpStatus status,
      String title,
      String detail,
      List<FieldError> errors,
      @Nullable String reason) {
    return new Problem(
        "about:blank", title, status.getCode(), detail, errors.isEmpty() ? null : errors, reason);
  }

  public static MutableHttpResponse<Problem> response(
      HttpStatus status, String title, String detail, List<FieldError> errors) {
    return HttpResponse.<Problem>status(status)
        .body(of(status, title, detail, errors))
        .contentType(MEDIA_TYPE);
  }

  /**
   * 503 with {@code Retry-After: 1}: something the service needs (Kafka, its database) is away, and
   * the same request again may succeed.
   */
  public static MutableHttpResponse<Problem> retryLater(String title, String detail) {
    return response(HttpStatus.SERVICE_UNAVAILABLE, title, detail, List.of())
        .header(io.micronaut.http.HttpHeaders.RETRY_AFTER, "1");
  }
}
