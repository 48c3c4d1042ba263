package dev.lineup.intake.schedule;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.intake.api.EnqueueRequest;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.intake.validation.FieldErrors;
import dev.lineup.schemas.StoredText;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.json.JsonMapper;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Recurring activities (CONTRACT.md, Schedules): create, read, list per host, pause, resume,
 * delete. {@link ScheduleFiring} fires them.
 */
@Controller("/v1")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "schedules")
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
public final class ScheduleController {

  /**
   * Types a schedule may not repeat: a raw MDM command carries its own CommandUUID, which each
   * firing would send again, and a recurring lock or wipe is a mistake, never a policy.
   */
  private static final Set<ActivityType> NOT_RECURRING =
      EnumSet.of(
          ActivityType.MDM_COMMAND, ActivityType.MDM_QUERY, ActivityType.LOCK, ActivityType.WIPE);

  private static final Duration MAX_START_AHEAD = Duration.ofDays(365);

  /** A host's schedules. */
  @Serdeable
  @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.ALWAYS)
  public record ScheduleList(List<ScheduleView> schedules) {}

  private final Schedules schedules;
  private final ActivityValidator validator;
  private final JsonMapper json;
  private final int maxPerHost;
  private final Clock clock = Clock.systemUTC();

  public ScheduleController(
      Schedules schedules,
      ActivityValidator validator,
      JsonMapper json,
      @io.micronaut.context.annotation.Value("${lineup.intake.schedules.max-per-host}")
          int maxPerHost) {
    this.schedules = schedules;
    this.validator = validator;
    this.json = json;
    this.maxPerHost = maxPerHost;
  }

  @Post("/schedules")
  @Operation(
      operationId = "createSchedule",
      summary = "Create a recurring activity on a host",
      description =
          "Role: operator. Validates the activity as an enqueue would and stores the schedule; it"
              + " first fires at `start_at` (default: now), then at every slot. A firing while the"
              + " schedule's previous activity has not ended is skipped. Sending a `schedule_id`"
              + " that exists with the same definition answers it again.")
  @ApiResponse(
      responseCode = "201",
      description = "Created: the schedule (`Location` names it).",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ScheduleView.class)))
  @ApiResponse(
      responseCode = "400",
      description = "Invalid: every invalid field is named in `errors` (`activity.` for the body).",
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
      responseCode = "413",
      description = "The activity's payload is over its limit (an inline script over 1 MiB).",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "409",
      description = "The `schedule_id` exists with another definition.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<ScheduleView> create(@Body ScheduleRequest body) throws Exception {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    FieldErrors errors = new FieldErrors();
    if (body == null) {
      errors.add("", "a JSON body is required");
      errors.throwIfAny();
    }
    String scheduleId =
        body.scheduleId() == null ? UUID.randomUUID().toString() : body.scheduleId();
    if (body.scheduleId() != null && !ActivityValidator.isUuid(body.scheduleId())) {
      errors.add("schedule_id", "must be a UUID");
    }
    if (body.hostId() == null) {
      errors.add("host_id", "is required");
    } else {
      try {
        ActivityValidator.checkHostId(body.hostId());
      } catch (ApiException e) {
        errors.add("host_id", "must be 1 to 255 characters without control characters, not \"*\"");
      }
    }
    Instant startAt = startAt(body.startAt(), now, errors);
    Recurrence recurrence =
        Recurrence.of(
            body.every(), body.cron(), body.timeZone(), startAt == null ? now : startAt, errors);
    EnqueueRequest template = template(body.activity(), errors);
    errors.throwIfAny();

    Activity activity;
    try {
      activity = validator.validate(body.hostId(), EnqueueRequest.draft(template), now);
    } catch (ApiException e) {
      throw inActivity(e);
    }
    Map<String, Object> stored = storedBody(template, activity);
    Instant start = startAt == null ? now : startAt;
    Schedules.Schedule schedule =
        new Schedules.Schedule(
            scheduleId,
            body.hostId(),
            json.writeValueAsString(stored),
            recurrence.every(),
            recurrence.cron(),
            recurrence.zone().getId(),
            recurrence,
            start,
            // Intervals count from start_at; a start in the past fires at the first slot from now.
            recurrence.first(start.isAfter(now) ? start : now),
            false,
            null,
            null,
            null,
            0,
            null,
            now);
    if (!schedules.insert(schedule, maxPerHost)) {
      Schedules.Schedule existing =
          schedules
              .find(scheduleId)
              .orElseThrow(
                  () ->
                      ApiException.conflict("schedule " + scheduleId + " was just deleted; retry"));
      if (!sameDefinition(existing, schedule)) {
        throw ApiException.conflict(
            "schedule_id " + scheduleId + " exists with another definition");
      }
      schedule = existing;
    }
    ScheduleView view = view(schedules.find(scheduleId).orElse(schedule));
    return HttpResponse.created(view, URI.create("/v1/schedules/" + scheduleId));
  }

  @Get("/schedules/{scheduleId}")
  @Operation(
      operationId = "getSchedule",
      summary = "Read one schedule",
      description = "Role: observer. With its next slot and its last activity's id and state.")
  @ApiResponse(responseCode = "200", description = "The schedule.")
  @ApiResponse(
      responseCode = "404",
      description = "No such schedule.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public ScheduleView schedule(@PathVariable String scheduleId) throws Exception {
    return view(existing(scheduleId));
  }

  @Get("/hosts/{hostId}/schedules")
  @Operation(
      operationId = "listHostSchedules",
      summary = "List a host's schedules",
      description = "Role: observer. Oldest first; a host holds a bounded number.")
  @ApiResponse(responseCode = "200", description = "The host's schedules.")
  @ApiResponse(
      responseCode = "400",
      description = "An invalid host id.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public ScheduleList forHost(
      @Parameter(
              description =
                  "The host's queue: 1 to 255 characters, no control characters, not `*`.",
              example = "mac-42",
              schema = @Schema(minLength = 1, maxLength = 255))
          @PathVariable
          String hostId)
      throws Exception {
    ActivityValidator.checkHostId(hostId);
    return new ScheduleList(schedules.forHost(hostId).stream().map(this::view).toList());
  }

  @Delete("/schedules/{scheduleId}")
  @Operation(
      operationId = "deleteSchedule",
      summary = "Delete a schedule",
      description = "Role: operator. It fires no more; activities it enqueued stay in their queue.")
  @ApiResponse(responseCode = "204", description = "Deleted.")
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "No such schedule.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<Void> delete(@PathVariable String scheduleId) throws Exception {
    if (!findable(scheduleId) || !schedules.delete(scheduleId)) {
      throw ApiException.notFound("schedule " + scheduleId);
    }
    return HttpResponse.noContent();
  }

  @Post("/schedules/{scheduleId}/pause")
  @Operation(
      operationId = "pauseSchedule",
      summary = "Pause a schedule",
      description = "Role: operator. It fires no more until resumed.")
  @ApiResponse(responseCode = "200", description = "The paused schedule.")
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "No such schedule.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public ScheduleView pause(@PathVariable String scheduleId) throws Exception {
    existing(scheduleId);
    if (!schedules.setPaused(scheduleId, true, null)) {
      throw ApiException.notFound("schedule " + scheduleId);
    }
    return view(existing(scheduleId));
  }

  @Post("/schedules/{scheduleId}/resume")
  @Operation(
      operationId = "resumeSchedule",
      summary = "Resume a paused schedule",
      description =
          "Role: operator. Slots missed while paused are not fired: it next fires at its first"
              + " slot from now.")
  @ApiResponse(responseCode = "200", description = "The resumed schedule.")
  @ApiResponse(
      responseCode = "403",
      description = "The token's role is below operator.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "No such schedule.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public ScheduleView resume(@PathVariable String scheduleId) throws Exception {
    Schedules.Schedule s = existing(scheduleId);
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Instant next =
        s.paused() && s.recurrence() != null && s.nextFireAt().isBefore(now)
            ? s.recurrence().first(now)
            : null;
    if (!schedules.setPaused(scheduleId, false, next)) {
      throw ApiException.notFound("schedule " + scheduleId);
    }
    return view(existing(scheduleId));
  }

  private Schedules.Schedule existing(String scheduleId) throws Exception {
    if (!findable(scheduleId)) {
      throw ApiException.notFound("schedule " + scheduleId);
    }
    return schedules
        .find(scheduleId)
        .orElseThrow(() -> ApiException.notFound("schedule " + scheduleId));
  }

  /** Whether the id can be stored at all: one PostgreSQL refuses (a NUL) is simply not there. */
  private static boolean findable(String scheduleId) {
    return StoredText.isIdentifier(scheduleId) && scheduleId.length() <= 64;
  }

  private ScheduleView view(Schedules.Schedule s) {
    return new ScheduleView(
        s.scheduleId(),
        s.hostId(),
        schedules.activityBody(s),
        s.every(),
        s.cron(),
        s.timeZone(),
        s.startAt(),
        s.nextFireAt(),
        s.paused(),
        s.lastActivityId(),
        s.lastState(),
        s.lastFiredAt(),
        s.skippedFirings(),
        s.lastError(),
        s.createdAt());
  }

  /**
   * The activity each firing sends: the fields a recurring activity cannot have are named, and an
   * activity without an initiator is the system's (rule 10: recurring work spends the system
   * budget).
   */
  private static EnqueueRequest template(EnqueueRequest activity, FieldErrors errors) {
    if (activity == null) {
      errors.add("activity", "is required");
      return null;
    }
    if (activity.activityId() != null) {
      errors.add("activity.activity_id", "is derived from the schedule and the slot; leave it out");
    }
    if (activity.dependsOn() != null && !activity.dependsOn().isEmpty()) {
      errors.add("activity.depends_on", "a recurring activity cannot depend on one activity");
    }
    if (activity.notBefore() != null) {
      errors.add("activity.not_before", "a schedule's slots say when; use start_at");
    }
    if (activity.type() != null) {
      try {
        ActivityType type = ActivityType.valueOf(activity.type().toUpperCase(Locale.ROOT));
        if (NOT_RECURRING.contains(type)) {
          errors.add(
              "activity.type",
              "mdm_command, mdm_query, lock and wipe cannot recur (a raw MDM command repeats its"
                  + " CommandUUID)");
        }
      } catch (IllegalArgumentException e) {
        // The validator names an unknown type.
      }
    }
    if (activity.initiator() == null) {
      return activity.withInitiator(new EnqueueRequest.Initiator("system", null, null, null, null));
    }
    return activity;
  }

  /**
   * The template as stored: an inline script stands as the SHA-256 the validator stored it under.
   */
  private Map<String, Object> storedBody(EnqueueRequest template, Activity activity)
      throws Exception {
    EnqueueRequest stored = template;
    if (activity.getPayload() instanceof ScriptRunPayload script
        && template.payload() != null
        && template.payload().containsKey("script")) {
      Map<String, Object> payload = new LinkedHashMap<>(template.payload());
      payload.remove("script");
      payload.put("script_sha256", script.getScriptSha256());
      stored = template.withPayload(payload);
    }
    return json.readValue(
        json.writeValueAsString(stored),
        io.micronaut.core.type.Argument.mapOf(String.class, Object.class));
  }

  private boolean sameDefinition(Schedules.Schedule a, Schedules.Schedule b) {
    return a.hostId().equals(b.hostId())
        && java.util.Objects.equals(a.every(), b.every())
        && java.util.Objects.equals(a.cron(), b.cron())
        && a.timeZone().equals(b.timeZone())
        && schedules.activityBody(a).equals(schedules.activityBody(b));
  }

  /** The validator's 400, its fields named inside {@code activity}. */
  private static ApiException inActivity(ApiException e) {
    List<Problem.FieldError> fields = e.problem().errors();
    if (e.status().getCode() != 400 || fields == null || fields.isEmpty()) {
      return e;
    }
    return ApiException.invalid(
        fields.stream()
            .map(
                f ->
                    new Problem.FieldError(
                        f.field().isEmpty() ? "activity" : "activity." + f.field(), f.message()))
            .toList());
  }

  private static Instant startAt(@Nullable String given, Instant now, FieldErrors errors) {
    if (given == null) {
      return null;
    }
    Instant at;
    try {
      at = Instant.parse(given);
    } catch (DateTimeParseException e) {
      errors.add("start_at", "must be an RFC 3339 time, e.g. 2026-11-24T10:00:00Z");
      return null;
    }
    if (at.isBefore(Instant.EPOCH) || at.isAfter(now.plus(MAX_START_AHEAD))) {
      errors.add("start_at", "must be from 1970 to at most one year ahead");
      return null;
    }
    return at.truncatedTo(ChronoUnit.MILLIS);
  }
}
