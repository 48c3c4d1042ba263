package dev.lineup.gateway.agent;

import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * {@code DELETE /v1/agent/hosts/{hostId}/enrollment} (admin API token, see {@code
 * http.GatewayAccessPolicy}): revokes the host's token, so the host can enroll again with the
 * enroll secret alone, after it lost its token (reinstalled, disk replaced). 204, or 404 if the
 * host never enrolled.
 */
@Controller("/v1/agent/hosts/{hostId}/enrollment")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "operators")
public final class HostEnrollmentController {

  private final Enrollments enrollments;

  public HostEnrollmentController(Enrollments enrollments) {
    this.enrollments = enrollments;
  }

  @Delete
  @Operation(
      operationId = "resetEnrollment",
      summary = "Reset a host's enrollment",
      description =
          "Needs the admin token. Revokes the host's token, so that the host can enroll again"
              + " with the enroll secret alone.",
      security = @SecurityRequirement(name = "adminToken"))
  @ApiResponse(responseCode = "204", description = "Reset.")
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "401",
      description = "No API token, or one that is not known (`WWW-Authenticate: Bearer`).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "The host never enrolled.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "429",
      description = "The token's (or the address's) request rate is used up; see `Retry-After`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "503",
      description = "PostgreSQL is away; send the same request again (`Retry-After`).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<Void> reset(
      @Parameter(schema = @Schema(minLength = 1, maxLength = 255), example = "mac-42") @PathVariable
          String hostId)
      throws Exception {
    if (!dev.lineup.schemas.Limits.isHostId(hostId)) {
      throw ApiException.invalid(
          java.util.List.of(
              new dev.lineup.service.problem.Problem.FieldError(
                  "host_id", "must be 1 to 255 characters without control characters")));
    }
    if (!enrollments.reset(hostId)) {
      throw ApiException.notFound("host " + hostId + " never enrolled");
    }
    return HttpResponse.noContent();
  }
}
