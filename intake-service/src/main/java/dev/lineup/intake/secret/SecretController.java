package dev.lineup.intake.secret;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import dev.lineup.service.secrets.SecretBox;
import dev.lineup.service.secrets.SecretReferences;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Put;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Secrets (CONTRACT.md, Secrets): set, list and delete by name. A value is sealed on the way in and
 * never answered: the list says names and times, and the sealed form (for the gateway, which holds
 * the key and opens it at delivery) is useless without the key.
 */
@Controller("/v1/secrets")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "secrets")
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
    description = "PostgreSQL is away, or no secrets key is configured (`LINEUP_SECRETS_KEY`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
public final class SecretController {

  /** At most this much of a value: a secret is a credential, not a file. */
  static final int MAX_VALUE_BYTES = 64 * 1024;

  /**
   * At least this much: every occurrence of a value in reported output is masked, and a shorter one
   * would mask ordinary text.
   */
  static final int MIN_VALUE_CHARS = 4;

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record SecretValue(
      @Schema(description = "4 characters to 64 KiB.") @Nullable String value) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record SecretView(String name, Instant updatedAt) {}

  @Serdeable
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record SecretList(List<SecretView> secrets) {}

  /** The sealed value, base64: opened only with the key. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  public record SealedSecret(String name, String nonce, String sealed) {}

  private final Secrets secrets;
  private final Optional<SecretBox> box;

  public SecretController(Secrets secrets, @Value("${lineup.secrets-key:}") String key) {
    this.secrets = secrets;
    this.box = SecretBox.of(key);
  }

  @Put("/{name}")
  @Operation(
      operationId = "putSecret",
      summary = "Set a secret",
      description =
          "Role: admin. Seals the value (AES-256-GCM) and stores it under the name; scripts"
              + " reference it as `$LINEUP_SECRET_<NAME>`. A new value affects only tasks handed"
              + " out afterwards.")
  @ApiResponse(
      responseCode = "201",
      description = "A new secret.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = SecretView.class)))
  @ApiResponse(
      responseCode = "200",
      description = "The secret's value replaced.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = SecretView.class)))
  @ApiResponse(
      responseCode = "400",
      description =
          "A name that is not upper-case letters, digits and `_`, or a value out of bounds.",
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
  public HttpResponse<SecretView> put(
      @Parameter(
              description = "Upper-case letters, digits and `_`, 1 to 64.",
              example = "DB_PASSWORD")
          @PathVariable
          String name,
      @Body SecretValue body)
      throws Exception {
    java.util.List<Problem.FieldError> errors = new java.util.ArrayList<>();
    if (!SecretReferences.NAME.matcher(name).matches()) {
      errors.add(
          new Problem.FieldError("name", "must be upper-case letters, digits and _, 1 to 64"));
    }
    String value = body == null ? null : body.value();
    if (value == null) {
      errors.add(new Problem.FieldError("value", "is required"));
    } else if (value.length() < MIN_VALUE_CHARS
        || value.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
      errors.add(new Problem.FieldError("value", "must be 4 characters to 64 KiB"));
    } else if (value.indexOf('\u0000') >= 0) {
      errors.add(new Problem.FieldError("value", "may not hold NUL"));
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    Secrets.Put put = secrets.put(name, box().seal(name, value));
    SecretView view = new SecretView(name, put.updatedAt());
    return put.created() ? HttpResponse.created(view) : HttpResponse.ok(view);
  }

  @Get
  @Operation(
      operationId = "listSecrets",
      summary = "List secrets",
      description = "Role: operator. Names and when each last changed; never a value.")
  @ApiResponse(responseCode = "200", description = "The secrets.")
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public SecretList list() throws Exception {
    return new SecretList(
        secrets.list().stream().map(s -> new SecretView(s.name(), s.updatedAt())).toList());
  }

  @Get("/{name}/sealed")
  @Operation(
      operationId = "getSealedSecret",
      summary = "Read a secret, sealed",
      description =
          "Role: operator. The sealed value, for the gateway, which holds the key and opens it into"
              + " the task it hands out. Useless without `LINEUP_SECRETS_KEY`.")
  @ApiResponse(responseCode = "200", description = "The sealed value.")
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "No such secret.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public SealedSecret sealed(@PathVariable String name) throws Exception {
    if (!SecretReferences.NAME.matcher(name).matches()) {
      throw ApiException.notFound("secret " + name);
    }
    SecretBox.Sealed sealed =
        secrets.sealed(name).orElseThrow(() -> ApiException.notFound("secret " + name));
    Base64.Encoder b64 = Base64.getEncoder();
    return new SealedSecret(
        name, b64.encodeToString(sealed.nonce()), b64.encodeToString(sealed.ciphertext()));
  }

  @Delete("/{name}")
  @Operation(
      operationId = "deleteSecret",
      summary = "Delete a secret",
      description =
          "Role: admin. Refused (409, naming them) while an unfinished activity's scripts"
              + " reference it.")
  @ApiResponse(responseCode = "204", description = "Deleted.")
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below admin.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "No such secret.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "409",
      description =
          "Unfinished activities reference it (`reason`: `SECRET_IN_USE`; `errors` names up to"
              + " 100 of them).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<Void> delete(@PathVariable String name) throws Exception {
    if (!SecretReferences.NAME.matcher(name).matches()) {
      throw ApiException.notFound("secret " + name);
    }
    Secrets.Deletion deletion = secrets.delete(name);
    if (!deletion.existed()) {
      throw ApiException.notFound("secret " + name);
    }
    if (!deletion.blockedBy().isEmpty()) {
      throw ApiException.conflict(
          "SECRET_IN_USE",
          "secret "
              + name
              + " is referenced by unfinished activities; cancel them or let them end first",
          deletion.blockedBy().stream()
              .map(id -> new Problem.FieldError("activities", id))
              .toList());
    }
    return HttpResponse.noContent();
  }

  private SecretBox box() {
    return box.orElseThrow(
        () ->
            new ApiException(
                HttpStatus.SERVICE_UNAVAILABLE,
                "Secrets are not configured",
                "set lineup.secrets-key (LINEUP_SECRETS_KEY) to 32 random bytes, base64, on"
                    + " intake and the gateway"));
  }
}
