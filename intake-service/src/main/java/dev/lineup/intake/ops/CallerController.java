package dev.lineup.intake.ops;

import dev.lineup.service.auth.Caller;
import dev.lineup.service.problem.Problem;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Locale;

/**
 * {@code GET /v1/me}: the name and role of the token the request carries, so the ops page can check
 * a token at sign-in and show an observer no buttons it may not use. The API refuses those actions
 * to an observer whatever the page shows.
 */
@Tag(name = "operations")
@ApiResponse(
    responseCode = "401",
    description = "No bearer token, or one that is not known (`WWW-Authenticate: Bearer`).",
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
@Controller("/v1/me")
public final class CallerController {

  /** Who the token belongs to. */
  @Serdeable
  public record Me(String name, String role) {}

  @Operation(
      operationId = "getCaller",
      summary = "The name and role of the request's token",
      description = "Any role. The ops page asks it to know which actions to offer.")
  @ApiResponse(responseCode = "200", description = "The token's name and role.")
  @Get
  public Me me(HttpRequest<?> request) {
    Caller caller =
        request
            .getAttribute(Caller.ATTRIBUTE, Caller.class)
            .orElseThrow(
                () -> new IllegalStateException("the bearer filter let an unknown caller in"));
    return new Me(caller.name(), caller.role().name().toLowerCase(Locale.ROOT));
  }
}
