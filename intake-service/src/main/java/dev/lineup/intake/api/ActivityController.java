package dev.lineup.intake.api;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.Command;
import dev.lineup.intake.admission.Admission;
import dev.lineup.intake.ledger.ActivityView;
import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.ledger.Page;
import dev.lineup.intake.ledger.Requests;
import dev.lineup.intake.publish.CommandPublisher;
import dev.lineup.intake.schedule.Schedules;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.intake.validation.FieldErrors;
import dev.lineup.schemas.Commands;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.StoredText;
import dev.lineup.service.auth.Caller;
import dev.lineup.service.auth.TokenHashes;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;

/** The activity API of CONTRACT.md: enqueue, read, list, cancel, pause, resume, purge. */
@Controller("/v1")
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
public final class ActivityController {

  private static final String HOST_COMMAND_ACCEPTED = "#/components/schemas/HostCommandAccepted";

  private final ActivityValidator validator;
  private final CommandPublisher publisher;
  private final Ledger ledger;
  private final Requests requests;
  private final Admission admission;
  private final Schedules schedules;
  private final JsonMapper json;
  private final Clock clock = Clock.systemUTC();

  public ActivityController(
      ActivityValidator validator,
      CommandPublisher publisher,
      Ledger ledger,
      Requests requests,
      Admission admission,
      Schedules schedules,
      JsonMapper json) {
    this.validator = validator;
    this.publisher = publisher;
    this.ledger = ledger;
    this.requests = requests;
    this.admission = admission;
    this.schedules = schedules;
    this.json = json;
  }

  /**
   * What a host-level command answers. Its schema, HostCommandAccepted, is written by hand
   * (src/main/openapi), as it alone keeps the camelCase {@code hostId} (CONTRACT.md).
   */
  @Serdeable
  public record Accepted(String hostId, String command) {}

  @Post("/hosts/{hostId}/activities")
  @Operation(
      operationId = "enqueueActivity",
      summary = "Enqueue one activity on a host's queue",
      description =
          "Role: operator. Validates the activity, publishes it to Kafka and answers once Kafka"
              + " holds it. Sending an `activity_id` the host already has, or the same"
              + " `Idempotency-Key` with the same body, answers that activity again.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the activity as the ledger holds it now.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ActivityView.class)))
  @ApiResponse(
      responseCode = "400",
      description = "Invalid: every invalid field is named in `errors`.",
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
  @ApiResponse(
      responseCode = "409",
      description =
          "The `Idempotency-Key` was used with another body, or the `activity_id` belongs to another host (`reason`: `ID_CONFLICT`).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "413",
      description =
          "A payload over its limit (an inline script over 1 MiB, a raw MDM command over 64 KiB) or a body over 2 MB.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<ActivityView> enqueue(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId,
      @io.swagger.v3.oas.annotations.parameters.RequestBody(
              required = true,
              content =
                  @Content(
                      mediaType = "application/json",
                      schema = @Schema(implementation = EnqueueRequest.class),
                      examples = {
                        @ExampleObject(
                            name = "script",
                            value =
                                "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo hi\"}}"),
                        @ExampleObject(
                            name = "urgent lock",
                            value =
                                "{\"type\":\"lock\",\"payload\":{\"message\":\"Call IT\"},"
                                    + "\"priority\":100,\"preempt\":true}")
                      }))
          @Body
          EnqueueRequest body,
      @Parameter(
              in = ParameterIn.HEADER,
              description =
                  "Makes a retry safe: the same key (scoped to the caller's token) with the same"
                      + " body answers the same activity.",
              schema = @Schema(minLength = 1, maxLength = 255))
          @Nullable
          @Header("Idempotency-Key")
          String idempotencyKey,
      HttpRequest<?> request)
      throws Exception {
    if (idempotencyKey == null) {
      return enqueueOnce(hostId, body);
    }
    FieldErrors keyErrors = new FieldErrors();
    keyErrors.identifier("Idempotency-Key", idempotencyKey, 255);
    keyErrors.throwIfAny();
    // Keys are the caller's own: two callers using the same key never collide.
    String caller =
        request.getAttribute(Caller.ATTRIBUTE, Caller.class).map(Caller::name).orElse("anonymous");
    String scopedKey = caller + ":" + idempotencyKey;
    String bodyHash = TokenHashes.sha256(hostId + "\n" + json.writeValueAsString(body));
    String activityId =
        body.activityId() != null ? body.activityId() : UUID.randomUUID().toString();
    var earlier = requests.claim(scopedKey, bodyHash, activityId);
    if (earlier.isPresent()) {
      if (!earlier.get().bodySha256().equals(bodyHash)) {
        throw ApiException.conflict(
            "Idempotency-Key " + idempotencyKey + " was used with another request");
      }
      // The same request again, under the activity id the key stands for. If an earlier attempt
      // got through, this is a resend and answers its activity; if it failed in any way (also with
      // an exception no one foresaw), this attempt does the enqueue, so a key never stays stuck
      // on an activity that does not exist.
      return enqueueOnce(hostId, body.withActivityId(earlier.get().activityId()));
    }
    try {
      return enqueueOnce(hostId, body.withActivityId(activityId));
    } catch (ApiException e) {
      if (e.status().getCode() < 500) {
        // Refused outright (invalid, a conflict): nothing was enqueued, so the caller may use the
        // key again for a corrected request.
        requests.release(scopedKey);
      }
      throw e;
    }
  }

  /** The activity a concurrent first request with the same id is still enqueueing. */
  private ActivityView awaitRecorded(String activityId) throws Exception {
    for (int i = 0; i < 50; i++) {
      var found = ledger.find(activityId);
      if (found.isPresent()) {
        return found.get();
      }
      Thread.sleep(100);
    }
    throw ApiException.conflict(
        "a request for activity " + activityId + " is still in progress; retry");
  }

  private HttpResponse<ActivityView> enqueueOnce(String hostId, EnqueueRequest body)
      throws Exception {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Activity activity = validator.validate(hostId, EnqueueRequest.draft(body), now);
    String id = activity.getActivityId();
    boolean preempt = body.preempt() != null && body.preempt();
    if (admission.enqueue(activity, preempt, "http:" + UUID.randomUUID())
        == Admission.Outcome.RESENT) {
      // Enqueued before, within the idempotency window: a no-op answered with the activity.
      return HttpResponse.accepted().body(awaitRecorded(id));
    }
    return HttpResponse.accepted().body(ledger.find(id).orElseThrow());
  }

  @Get("/activities/{activityId}")
  @Operation(
      operationId = "getActivity",
      summary = "Read one activity",
      description = "Role: observer. The activity as the ledger holds it.")
  @ApiResponse(responseCode = "200", description = "The activity.")
  @ApiResponse(
      responseCode = "404",
      description = "No such activity.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public ActivityView activity(
      @Parameter(example = "0b8e8f4e-4a59-4d3a-9a52-2a6a0f1a7c11") @PathVariable String activityId)
      throws Exception {
    return findable(activityId)
        .find(activityId)
        .orElseThrow(() -> ApiException.notFound("activity " + activityId));
  }

  /**
   * The ledger, for an id that can be in it: one PostgreSQL cannot store (a NUL) was never
   * accepted, and asking PostgreSQL for it would fail the request instead of answering 404.
   */
  private Ledger findable(String activityId) {
    if (!StoredText.isIdentifier(activityId)) {
      throw ApiException.notFound("the activity");
    }
    return ledger;
  }

  @Get("/hosts/{hostId}/activities")
  @Operation(
      operationId = "listActivities",
      summary = "List a host's upcoming or past activities",
      description =
          "Role: observer. `upcoming`: unfinished ones, in flight first, then by priority, then by"
              + " acceptance. `past`: finished ones, newest first. Pages follow `next_cursor`"
              + " until it is null.")
  @ApiResponse(responseCode = "200", description = "One page of activities.")
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id, `state`, `cursor` or `limit`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public Page list(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId,
      @Parameter(
              schema =
                  @Schema(
                      allowableValues = {"upcoming", "past"},
                      defaultValue = "upcoming"))
          @QueryValue(defaultValue = "upcoming")
          String state,
      @Parameter(description = "The `next_cursor` of the page before.") @Nullable @QueryValue
          String cursor,
      @Parameter(schema = @Schema(minimum = "1", maximum = "500", defaultValue = "50"))
          @QueryValue(defaultValue = "50")
          int limit)
      throws Exception {
    ActivityValidator.checkHostId(hostId);
    if (limit < 1 || limit > 500) {
      throw ApiException.invalid(List.of(new Problem.FieldError("limit", "must be 1 to 500")));
    }
    return switch (state) {
      case "upcoming" -> ledger.upcoming(hostId, cursor, limit);
      case "past" -> ledger.past(hostId, cursor, limit);
      default ->
          throw ApiException.invalid(
              List.of(new Problem.FieldError("state", "must be upcoming or past")));
    };
  }

  @Delete("/hosts/{hostId}/activities/{activityId}")
  @Operation(
      operationId = "cancelActivity",
      summary = "Cancel one activity",
      description =
          "Role: operator. Cancels an upcoming activity, or a released one whose type can stop"
              + " (not a lock or wipe). The cancel is a command: the activity ends CANCELLED once"
              + " the sequencer has it.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the activity as it was before the cancel.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ActivityView.class)))
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id.",
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
  @ApiResponse(
      responseCode = "404",
      description = "No such activity on this host.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "409",
      description = "The activity has ended, or it is a released lock or wipe.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<ActivityView> cancel(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId,
      @PathVariable String activityId)
      throws Exception {
    ActivityValidator.checkHostId(hostId);
    ActivityView activity =
        findable(activityId)
            .find(activityId)
            .filter(a -> a.hostId().equals(hostId))
            .orElseThrow(
                () -> ApiException.notFound("activity " + activityId + " of host " + hostId));
    ActivityState state = Lifecycle.state(activity.state());
    if (Lifecycle.isTerminal(state)) {
      throw ApiException.conflict("activity " + activityId + " already ended " + activity.state());
    }
    if (Lifecycle.isReleased(state)
        && !Lifecycle.isCancellableOnceReleased(Lifecycle.type(activity.type()))) {
      throw ApiException.conflict("a released " + activity.type() + " cannot be cancelled");
    }
    publisher.publish(Commands.cancel(hostId, activityId, clock.instant()));
    return HttpResponse.accepted().body(activity);
  }

  @Delete("/hosts/{hostId}/activities")
  @Operation(
      operationId = "cancelUpcoming",
      summary = "Cancel every upcoming activity of a host",
      description =
          "Role: operator. `state=upcoming` is required, so that nothing is cancelled by accident.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the command is stored.",
      content =
          @Content(mediaType = "application/json", schema = @Schema(ref = HOST_COMMAND_ACCEPTED)))
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id, or `state` is not `upcoming`.",
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
  public HttpResponse<Accepted> cancelUpcoming(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId,
      @Parameter(
              description = "Must be `upcoming`.",
              schema = @Schema(allowableValues = "upcoming"))
          @Nullable
          @QueryValue
          String state) {
    ActivityValidator.checkHostId(hostId);
    if (!"upcoming".equals(state)) {
      throw ApiException.invalid(
          List.of(
              new Problem.FieldError(
                  "state", "must be upcoming: only upcoming activities can be cancelled at once")));
    }
    publisher.publish(Commands.cancelUpcoming(hostId, clock.instant()));
    return HttpResponse.accepted().body(new Accepted(hostId, "cancel_upcoming"));
  }

  @Post("/hosts/{hostId}/pause")
  @Operation(
      operationId = "pauseHost",
      summary = "Hold a host's releases",
      description = "Role: operator. Nothing more is released to the host until it is resumed.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the command is stored.",
      content =
          @Content(mediaType = "application/json", schema = @Schema(ref = HOST_COMMAND_ACCEPTED)))
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id.",
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
  public HttpResponse<Accepted> pause(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId) {
    return hostCommand(hostId, Commands::pause, "pause");
  }

  @Post("/hosts/{hostId}/resume")
  @Operation(
      operationId = "resumeHost",
      summary = "Resume a paused host's releases",
      description = "Role: operator.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the command is stored.",
      content =
          @Content(mediaType = "application/json", schema = @Schema(ref = HOST_COMMAND_ACCEPTED)))
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id.",
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
  public HttpResponse<Accepted> resume(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId) {
    return hostCommand(hostId, Commands::resume, "resume");
  }

  @Delete("/hosts/{hostId}")
  @Operation(
      operationId = "purgeHost",
      summary = "Purge a host",
      description =
          "Role: admin. Ends every activity of the host (CANCELLED, `HOST_PURGED`), deletes its"
              + " queue state and its schedules; the ledger keeps its history.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the command is stored.",
      content =
          @Content(mediaType = "application/json", schema = @Schema(ref = HOST_COMMAND_ACCEPTED)))
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id.",
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
  public HttpResponse<Accepted> purge(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId)
      throws SQLException {
    ActivityValidator.checkHostId(hostId);
    // Its schedules first: a firing after the purge would bring the host's queue back.
    schedules.deleteHost(hostId);
    return hostCommand(hostId, Commands::purge, "purge");
  }

  private HttpResponse<Accepted> hostCommand(
      String hostId, BiFunction<String, Instant, Command> command, String name) {
    ActivityValidator.checkHostId(hostId);
    publisher.publish(command.apply(hostId, clock.instant()));
    return HttpResponse.accepted().body(new Accepted(hostId, name));
  }
}
