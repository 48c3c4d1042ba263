package dev.lineup.intake.auth;

import dev.lineup.service.auth.Role;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Admins make, list and revoke API tokens. A token is shown once, in the answer that makes it. */
@Controller("/v1/tokens")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "tokens")
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
    description = "Kafka or PostgreSQL is away; send the same request again (`Retry-After`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@ApiResponse(
    responseCode = "403",
    description = "The token's role is below admin.",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
public final class TokenController {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "NewToken")
  public record NewToken(
      @Schema(pattern = "^[A-Za-z0-9._-]{1,64}$", example = "dashboard") @Nullable String name,
      @Schema(
              allowableValues = {"admin", "operator", "observer"},
              example = "observer")
          @Nullable
          String role) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "MadeToken")
  public record Made(
      String name,
      String role,
      @Schema(description = "The bearer token, shown only in this answer.") String token) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "ListedToken")
  public record Listed(String name, String role, Instant createdAt, @Nullable Instant revokedAt) {}

  private final StoredTokens tokens;

  public TokenController(StoredTokens tokens) {
    this.tokens = tokens;
  }

  @Post
  @Operation(
      operationId = "createToken",
      summary = "Make an API token",
      description =
          "Role: admin. The token is shown once, in this answer; only its SHA-256 is stored.")
  @ApiResponse(
      responseCode = "201",
      description = "Made: the token.",
      content =
          @Content(mediaType = "application/json", schema = @Schema(implementation = Made.class)))
  @ApiResponse(
      responseCode = "400",
      description = "An invalid name or role.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "409",
      description = "A token with this name exists.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<Made> create(@Body NewToken body) throws Exception {
    if (body == null || body.name() == null || !NAME.matcher(body.name()).matches()) {
      throw ApiException.invalid(
          List.of(new Problem.FieldError("name", "1 to 64 of letters, digits, '.', '_', '-'")));
    }
    Role role;
    try {
      role = Role.valueOf(String.valueOf(body.role()).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(
          List.of(new Problem.FieldError("role", "must be admin, operator or observer")));
    }
    String token =
        tokens
            .create(body.name(), role)
            .orElseThrow(() -> ApiException.conflict("a token named " + body.name() + " exists"));
    return HttpResponse.<Made>status(HttpStatus.CREATED)
        .body(new Made(body.name(), role.name().toLowerCase(Locale.ROOT), token));
  }

  /** Lists answer objects, like every other list of the API. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "TokenList")
  public record Tokens(List<Listed> tokens) {}

  @Get
  @Operation(
      operationId = "listTokens",
      summary = "List API tokens",
      description = "Role: admin. Names, roles and times; never the tokens.")
  @ApiResponse(responseCode = "200", description = "Every token made, revoked ones too.")
  public Tokens list() throws Exception {
    List<Listed> listed = new java.util.ArrayList<>();
    for (StoredTokens.Listed t : tokens.list()) {
      listed.add(
          new Listed(
              t.name(), t.role().name().toLowerCase(Locale.ROOT), t.createdAt(), t.revokedAt()));
    }
    return new Tokens(listed);
  }

  @Delete("/{name}")
  @Operation(
      operationId = "revokeToken",
      summary = "Revoke an API token",
      description = "Role: admin. The token stops working at once.")
  @ApiResponse(responseCode = "204", description = "Revoked.")
  @ApiResponse(
      responseCode = "404",
      description = "No token of this name.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<Void> revoke(@PathVariable String name) throws Exception {
    if (!tokens.revoke(name)) {
      throw ApiException.notFound("token " + name);
    }
    return HttpResponse.noContent();
  }
}
