package dev.lineup.gateway.agent;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import dev.lineup.schemas.Limits;
import dev.lineup.schemas.PayloadFields;
import dev.lineup.schemas.Results;
import dev.lineup.schemas.StoredText;
import dev.lineup.service.auth.BearerAuthFilter;
import dev.lineup.service.auth.RequestCharge;
import dev.lineup.service.kafka.NotStoredException;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.inject.Named;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent API of CONTRACT.md: enroll, long-poll for the next task, heartbeat, report. Host tokens
 * identify a host; task tokens (bound to one host, activity and attempt) prove a task.
 */
@Controller("/v1/agent")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "agent")
@ApiResponse(
    responseCode = "429",
    description = "The address's (or token's) request rate is used up; see `Retry-After`.",
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
public final class AgentController {

  private static final Logger LOG = LoggerFactory.getLogger(AgentController.class);
  private static final int MAX_WAIT_SECONDS = 60;
  private static final int MAX_CLAIM_KEY = 255;

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "EnrollRequest")
  public record EnrollRequest(
      @Schema(minLength = 1, maxLength = 255, example = "mac-42") @Nullable String hostId,
      @Schema(description = "The deployment's `lineup.enroll-secret`.") @Nullable
          String enrollSecret) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "Enrolled")
  public record Enrolled(
      @Schema(description = "The host token, for polling; keep it to rotate it later.")
          String hostToken) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "Task")
  public record Task(
      String activityId,
      @Schema(example = "script_run") String type,
      @Schema(description = "1 for the first attempt.") int attempt,
      @Schema(
              description = "The activity type's payload fields (docs/CONTRACT.md, Activity).",
              additionalProperties = Schema.AdditionalPropertiesValue.TRUE)
          Map<String, Object> payload,
      @Schema(description = "Proves this attempt: heartbeats, its result and its content.")
          String taskToken,
      Instant leaseExpiresAt) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "Lease")
  public record Lease(Instant leaseExpiresAt) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "Report")
  public record Report(
      @Schema(
              allowableValues = {"succeeded", "failed"},
              example = "succeeded")
          @Nullable
          String outcome,
      @Nullable Integer exitCode,
      @Schema(description = "Cut to `lineup.gateway.output-limit-bytes` (64 KiB).") @Nullable
          String output) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  @Schema(name = "Recorded")
  public record Recorded(String activityId, String outcome) {}

  private final Enrollments enrollments;
  private final TaskBoard board;
  private final TaskSignals signals;
  private final ResultPublisher results;
  private final ContentSource contents;
  private final ReportedOutput output;
  private final TaskSecrets secrets;
  private final Duration heartbeatExtension;
  private final ExecutorService blocking;

  public AgentController(
      Enrollments enrollments,
      TaskBoard board,
      TaskSignals signals,
      ResultPublisher results,
      ContentSource contents,
      ReportedOutput output,
      TaskSecrets secrets,
      @Value("${lineup.gateway.heartbeat-extension}") Duration heartbeatExtension,
      @Named(TaskExecutors.BLOCKING) ExecutorService blocking) {
    this.enrollments = enrollments;
    this.board = board;
    this.signals = signals;
    this.results = results;
    this.contents = contents;
    this.output = output;
    this.secrets = secrets;
    this.heartbeatExtension = heartbeatExtension;
    this.blocking = blocking;
  }

  /**
   * Enrolls a host with the enroll secret. A host that holds a live token must show it ({@code
   * Authorization: Bearer}) to get a new one; without it the answer is 409, and only an admin's
   * reset ({@code DELETE /v1/agent/hosts/{hostId}/enrollment}) frees the host id.
   */
  @Post("/enroll")
  @Operation(
      operationId = "enroll",
      summary = "Enroll a host and get its host token",
      description =
          "Public: the enroll secret in the body is the credential. A host that already holds a"
              + " live token must also send it (`Authorization: Bearer`, the hostToken scheme) to"
              + " rotate it; without it the answer is 409 until an admin resets the enrollment.")
  @SecurityRequirement(name = "")
  @SecurityRequirement(name = "hostToken")
  @ApiResponse(responseCode = "200", description = "Enrolled: the new host token.")
  @ApiResponse(
      responseCode = "400",
      description = "`host_id` is missing or invalid.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "401",
      description = "The enroll secret is wrong.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "409",
      description = "The host is enrolled with another token.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public Enrolled enroll(@Nullable @Body EnrollRequest body, HttpRequest<?> request)
      throws Exception {
    if (body == null || !Limits.isHostId(body.hostId())) {
      throw ApiException.invalid(
          List.of(
              new Problem.FieldError(
                  "host_id", "is required: 1 to 255 characters without control characters")));
    }
    Enrollments.Enrollment enrollment =
        enrollments.enroll(
            body.hostId(), body.enrollSecret(), BearerAuthFilter.bearerToken(request));
    return switch (enrollment.outcome()) {
      case ENROLLED -> {
        RequestCharge.credentialProven(request);
        yield new Enrolled(enrollment.hostToken());
      }
      case WRONG_SECRET ->
          throw new ApiException(
              HttpStatus.UNAUTHORIZED, "Unauthorized", "the enroll secret is wrong");
      case ALREADY_ENROLLED ->
          throw new ApiException(
              HttpStatus.CONFLICT,
              "Already enrolled",
              "host "
                  + body.hostId()
                  + " is enrolled with another token: send its current host token as"
                  + " 'Authorization: Bearer' to rotate it, or have an admin reset the host's"
                  + " enrollment (DELETE /v1/agent/hosts/{hostId}/enrollment)");
    };
  }

  /**
   * The long poll. It holds a thread only while it looks for work; in between it waits on the
   * host's signal as a future, so an idle agent costs the gateway no thread.
   */
  @Get("/tasks/next")
  @Operation(
      operationId = "nextTask",
      summary = "Long-poll for the host's next task",
      description =
          "Waits up to `wait` seconds for the host's oldest pending script or installer attempt."
              + " Handing it out reports it DELIVERED.",
      security = @SecurityRequirement(name = "hostToken"))
  @ApiResponse(
      responseCode = "200",
      description = "The task, with its task token.",
      content =
          @Content(mediaType = "application/json", schema = @Schema(implementation = Task.class)))
  @ApiResponse(responseCode = "204", description = "No task within `wait` seconds.")
  @ApiResponse(
      responseCode = "400",
      description = "An invalid `Idempotency-Key` or `wait`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "401",
      description = "No host token, or one that is not known.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public CompletableFuture<HttpResponse<Task>> next(
      HttpRequest<?> request,
      @Parameter(
              description = "Seconds to wait for a task; values outside 0 to 60 are clamped.",
              schema = @Schema(minimum = "0", maximum = "60", defaultValue = "30"))
          @QueryValue(defaultValue = "30")
          int wait,
      @Parameter(
              in = ParameterIn.HEADER,
              description =
                  "Makes the poll safe to send again after a lost answer: the same key gets the"
                      + " task it claimed back, under a new task token.",
              schema = @Schema(minLength = 1, maxLength = 255))
          @Nullable
          @Header("Idempotency-Key")
          String claimKey)
      throws Exception {
    Optional<String> known = enrollments.host(bearer(request));
    if (known.isEmpty()) {
      RequestCharge.credentialRefused(request);
      throw new ApiException(
          HttpStatus.UNAUTHORIZED, "Unauthorized", "the host token is not known");
    }
    RequestCharge.credentialProven(request);
    if (claimKey != null
        && (claimKey.isEmpty()
            || claimKey.length() > MAX_CLAIM_KEY
            || !StoredText.isIdentifier(claimKey))) {
      throw ApiException.invalid(
          List.of(
              new Problem.FieldError(
                  "Idempotency-Key",
                  "1 to " + MAX_CLAIM_KEY + " characters, no control characters")));
    }
    String host = known.get();
    long deadline =
        System.currentTimeMillis() + Math.max(0, Math.min(wait, MAX_WAIT_SECONDS)) * 1000L;
    return lookForTask(host, claimKey, deadline);
  }

  /** One look for the host's next task; with none, the next look follows its signal. */
  private CompletableFuture<HttpResponse<Task>> lookForTask(
      String host, String claimKey, long deadline) {
    try {
      long seen = signals.version(host);
      var claimed = board.claimNext(host, claimKey);
      if (claimed.isPresent()) {
        return CompletableFuture.completedFuture(HttpResponse.ok(handOver(claimed.get())));
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return CompletableFuture.completedFuture(HttpResponse.noContent());
      }
      return signals
          .after(host, seen, left)
          .thenComposeAsync(woken -> lookForTask(host, claimKey, deadline), blocking);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Task handOver(TaskBoard.Claimed claimed) {
    ReleasedActivity r = claimed.released();
    var a = r.getActivity();
    try {
      results.publish(Results.delivered(Results.Attempt.of(r), Instant.now()));
    } catch (NotStoredException e) {
      // The agent has its task either way; DELIVERED only refines the ledger.
      LOG.warn("could not report {} delivered", a.getActivityId());
    }
    return new Task(
        a.getActivityId(),
        a.getType().name().toLowerCase(Locale.ROOT),
        r.getAttempt(),
        PayloadFields.of((SpecificRecord) a.getPayload()),
        claimed.taskToken(),
        r.getLeaseExpiresAt());
  }

  /**
   * Extends the task's lease by {@code lineup.gateway.heartbeat-extension} from now, never to an
   * earlier time than it had: a task released with a longer lease keeps it. The sequencer sets its
   * lease to now plus the extension it is told, so it is told the extension that reaches the later
   * of the two.
   */
  @Post("/tasks/{activityId}/heartbeat")
  @Operation(
      operationId = "heartbeat",
      summary = "Extend a task's lease",
      description =
          "To now plus `lineup.gateway.heartbeat-extension` (10m), or the lease it had if that is"
              + " later.",
      security = @SecurityRequirement(name = "taskToken"))
  @ApiResponse(responseCode = "200", description = "The lease now.")
  @ApiResponse(
      responseCode = "401",
      description =
          "No task token, or one not valid for this task (expired, revoked, ended, or another task's).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public Lease heartbeat(@PathVariable String activityId, HttpRequest<?> request) throws Exception {
    TaskBoard.Held task = held(activityId, request);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Instant extended = now.plus(heartbeatExtension);
    Instant until = extended.isAfter(task.leaseExpiresAt()) ? extended : task.leaseExpiresAt();
    results.publish(Results.heartbeat(attempt(task), now, Duration.between(now, until).toMillis()));
    return new Lease(board.extendLease(task, until));
  }

  @Post("/tasks/{activityId}/result")
  @Operation(
      operationId = "reportResult",
      summary = "Report a task's outcome",
      description = "Ends the attempt; the task token stops working.",
      security = @SecurityRequirement(name = "taskToken"))
  @ApiResponse(responseCode = "200", description = "Recorded.")
  @ApiResponse(
      responseCode = "400",
      description = "`outcome` is not succeeded or failed.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "401",
      description =
          "No task token, or one not valid for this task (expired, revoked, ended, or another task's).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "409",
      description = "The task ended while this report was being recorded.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "413",
      description = "A body over `micronaut.server.max-request-size` (1 MB).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public Recorded result(@PathVariable String activityId, @Body Report body, HttpRequest<?> request)
      throws Exception {
    TaskBoard.Held task = held(activityId, request);
    String outcome =
        body == null || body.outcome() == null ? "" : body.outcome().toLowerCase(Locale.ROOT);
    if (!outcome.equals("succeeded") && !outcome.equals("failed")) {
      throw ApiException.invalid(
          List.of(new Problem.FieldError("outcome", "must be succeeded or failed")));
    }
    // Masked before anything keeps it: no secret value reaches a topic, the ledger or a log.
    ReleasedActivity released = released(task);
    String output = this.output.keep(secrets.scrub(released, body.output()));
    ResultKind kind = outcome.equals("succeeded") ? ResultKind.SUCCEEDED : ResultKind.FAILED;
    // Report first, then close the row: a crash in between makes the agent retry, and a repeated
    // result is a recorded no-op in the sequencer. The other order could lose the outcome.
    results.publish(Results.ended(attempt(task), kind, Instant.now(), body.exitCode(), output));
    if (!board.finish(task, kind.name(), body.exitCode(), output)) {
      throw ApiException.conflict("the task already ended");
    }
    secrets.forget(released);
    return new Recorded(activityId, outcome);
  }

  /**
   * {@code GET /v1/agent/contents/{sha256}?activity_id=...}: content the caller's task references
   * (its script, its install scripts, its profile), and nothing else.
   */
  @Get(
      value = "/contents/{sha256}",
      produces = io.micronaut.http.MediaType.APPLICATION_OCTET_STREAM)
  @Operation(
      operationId = "taskContent",
      summary = "Read content the task references",
      description = "Its script, its install scripts or its profile, and nothing else.",
      security = @SecurityRequirement(name = "taskToken"))
  @ApiResponse(
      responseCode = "200",
      description = "The stored bytes.",
      content =
          @Content(
              mediaType = io.micronaut.http.MediaType.APPLICATION_OCTET_STREAM,
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(
      responseCode = "400",
      description = "`activity_id` is missing.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "401",
      description =
          "No task token, or one not valid for this task (expired, revoked, ended, or another task's).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "403",
      description = "The task does not reference this content.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "The content is not stored.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public byte[] content(
      @PathVariable String sha256,
      @Parameter(description = "The task's activity, whose token is sent.")
          @QueryValue("activity_id")
          String activityId,
      HttpRequest<?> request)
      throws Exception {
    TaskBoard.Held task = held(activityId, request);
    ReleasedActivity released = released(task);
    Map<String, Object> payload =
        PayloadFields.of((SpecificRecord) released.getActivity().getPayload());
    Optional<String> field =
        payload.entrySet().stream()
            .filter(e -> e.getKey().endsWith("sha256") && sha256.equals(e.getValue()))
            .map(Map.Entry::getKey)
            .findFirst();
    if (field.isEmpty()) {
      throw new ApiException(
          HttpStatus.FORBIDDEN, "Forbidden", "this task does not reference that content");
    }
    byte[] body =
        contents.fetch(sha256).orElseThrow(() -> ApiException.notFound("content " + sha256));
    // A script reaches the task's holder, and only it, with its secrets in (CONTRACT.md, Secrets).
    return TaskSecrets.isScript(field.get()) ? secrets.resolve(released, sha256, body) : body;
  }

  /** The released attempt a held task is, as the deliveries table keeps it. */
  private static ReleasedActivity released(TaskBoard.Held task) {
    return dev.lineup.schemas.Topics.RELEASED_SCRIPT
        .valueSerde()
        .deserializer()
        .deserialize("deliveries", task.released());
  }

  private TaskBoard.Held held(String activityId, HttpRequest<?> request) throws Exception {
    Optional<TaskBoard.Held> held = board.held(activityId, bearer(request));
    if (held.isEmpty()) {
      RequestCharge.credentialRefused(request);
      throw new ApiException(
          HttpStatus.UNAUTHORIZED,
          "Unauthorized",
          "the task token is not valid for this task (expired, revoked, or another task's)");
    }
    RequestCharge.credentialProven(request);
    return held.get();
  }

  private static String bearer(HttpRequest<?> request) {
    String token = BearerAuthFilter.bearerToken(request);
    if (token == null) {
      throw new ApiException(HttpStatus.UNAUTHORIZED, "Unauthorized", "a bearer token is required");
    }
    return token;
  }

  private static Results.Attempt attempt(TaskBoard.Held task) {
    return new Results.Attempt(task.activityId(), task.hostId(), task.attempt());
  }
}
