package dev.lineup.intake.api;

import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Selector;
import dev.lineup.intake.publish.CommandPublisher;
import dev.lineup.intake.validation.FieldErrors;
import dev.lineup.schemas.Commands;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/cancellations}: cancel every upcoming activity, on every host, that a selector
 * matches. The command goes to every partition of {@code lineup.commands}; the 202 follows once all
 * copies are durable, so every activity accepted before the call is behind one of them and cannot
 * escape it.
 */
@Controller("/v1/cancellations")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "activities")
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
public final class CancellationController {

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** Every given field must match; at least one is required. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "CancellationSelector")
  public record SelectorRequest(
      @Schema(description = "An activity type.", example = "software_install") @Nullable
          String type,
      @Schema(maxLength = 255, example = "zoom") @Nullable String installerId,
      @Schema(
              description = "Matches script runs, and the scripts of installs and uninstalls.",
              pattern = "^[0-9a-f]{64}$")
          @Nullable
          String scriptSha256) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "CancellationAccepted")
  public record Accepted(
      String cancellationId,
      @Schema(description = "The partitions of `lineup.commands` the command went to.")
          int partitions) {}

  private final CommandPublisher publisher;

  public CancellationController(CommandPublisher publisher) {
    this.publisher = publisher;
  }

  @Post
  @Operation(
      operationId = "cancelMatching",
      summary = "Cancel every matching upcoming activity on every host",
      description =
          "Role: operator. Give at least one of `type`, `installer_id`, `script_sha256`; every"
              + " given one must match. The 202 follows once every partition holds the command.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the command is stored on every partition.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = Accepted.class)))
  @ApiResponse(
      responseCode = "400",
      description = "No selector field, or an invalid one.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<Accepted> cancel(@Body SelectorRequest body) {
    Selector selector = selector(body);
    String id = UUID.randomUUID().toString();
    int partitions = publisher.broadcast(Commands.cancelMatching(id, selector, Instant.now()));
    return HttpResponse.accepted().body(new Accepted(id, partitions));
  }

  private static Selector selector(SelectorRequest body) {
    List<Problem.FieldError> errors = new ArrayList<>();
    if (body == null
        || (body.type() == null && body.installerId() == null && body.scriptSha256() == null)) {
      // Every 400 names a field: the first of the three a selector may give.
      errors.add(
          new Problem.FieldError("type", "give at least one of type, installer_id, script_sha256"));
      throw ApiException.invalid(errors);
    }
    ActivityType type = null;
    if (body.type() != null) {
      try {
        type = ActivityType.valueOf(body.type().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        errors.add(new Problem.FieldError("type", "not an activity type"));
      }
    }
    if (body.scriptSha256() != null && !SHA256.matcher(body.scriptSha256()).matches()) {
      errors.add(new Problem.FieldError("script_sha256", "must be a lowercase hex SHA-256"));
    }
    // The same bound and characters as an enqueue's payload.installer_id: it travels on a topic.
    FieldErrors installer = new FieldErrors();
    installer.identifier("installer_id", body.installerId(), 255);
    if (!installer.isEmpty()) {
      errors.add(
          new Problem.FieldError("installer_id", "must be 1 to 255 characters, an identifier"));
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    return Selector.newBuilder()
        .setType(type)
        .setInstallerId(body.installerId())
        .setScriptSha256(body.scriptSha256())
        .build();
  }
}
