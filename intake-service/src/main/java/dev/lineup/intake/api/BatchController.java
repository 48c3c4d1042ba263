package dev.lineup.intake.api;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityState;
import dev.lineup.intake.admission.BatchAdmission;
import dev.lineup.intake.ledger.BatchView;
import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.ledger.Page;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Batches: many activities across hosts, enqueued all or nothing, tracked as a group. */
@Controller("/v1/batches")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "batches")
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
public final class BatchController {

  /** Rule 15: a batch holds at most this many activities, whatever the setting says. */
  static final int MAX_SIZE = 1_000;

  private final ActivityValidator validator;
  private final BatchAdmission admission;
  private final Ledger ledger;
  private final int maxSize;

  public BatchController(
      ActivityValidator validator,
      BatchAdmission admission,
      Ledger ledger,
      @Value("${lineup.intake.limits.batch-size}") int maxSize) {
    if (maxSize < 1 || maxSize > MAX_SIZE) {
      throw new IllegalArgumentException(
          "lineup.intake.limits.batch-size must be 1 to " + MAX_SIZE + " (rule 15)");
    }
    this.validator = validator;
    this.admission = admission;
    this.ledger = ledger;
    this.maxSize = maxSize;
  }

  @Post
  @Operation(
      operationId = "enqueueBatch",
      summary = "Enqueue activities across hosts, all or nothing",
      description =
          "Role: operator. 1 to `lineup.intake.limits.batch-size` (1000) activities, validated as"
              + " a whole and published in one Kafka transaction. The same batch sent again within"
              + " the idempotency window answers the batch it made.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the batch.",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = BatchView.class)))
  @ApiResponse(
      responseCode = "400",
      description =
          "Invalid: every invalid field is named, as `activities[i].field`; nothing was enqueued.",
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
          "Some activity ids belong to other hosts (`reason`: `ID_CONFLICT`) or were enqueued before (`DUPLICATE`); nothing was enqueued.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "413",
      description = "A body over 2 MB, or a payload over its limit.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public HttpResponse<BatchView> enqueue(@Body BatchRequest body) throws Exception {
    List<BatchRequest.Item> items =
        body == null || body.activities() == null ? List.of() : body.activities();
    if (items.isEmpty() || items.size() > maxSize) {
      throw ApiException.invalid(
          List.of(new Problem.FieldError("activities", "give 1 to " + maxSize + " activities")));
    }
    String batchId = UUID.randomUUID().toString();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Activity> activities = new ArrayList<>();
    List<Boolean> preempts = new ArrayList<>();
    List<Problem.FieldError> errors = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      BatchRequest.Item item = items.get(i);
      if (item == null || item.activity() == null) {
        errors.add(new Problem.FieldError("activities[" + i + "]", "must be an activity"));
        continue;
      }
      try {
        Activity a = validator.validate(item.hostId(), EnqueueRequest.draft(item.activity()), now);
        a.setBatchId(batchId);
        if (!ids.add(a.getActivityId())) {
          errors.add(
              new Problem.FieldError(
                  "activities[" + i + "].activity_id", "appears twice in the batch"));
        }
        activities.add(a);
        preempts.add(Boolean.TRUE.equals(item.activity().preempt()));
      } catch (ApiException e) {
        var problem = e.problem();
        if (problem.errors() == null) {
          errors.add(new Problem.FieldError("activities[" + i + "]", problem.detail()));
        } else {
          for (Problem.FieldError f : problem.errors()) {
            errors.add(new Problem.FieldError("activities[" + i + "]." + f.field(), f.message()));
          }
        }
      }
    }
    if (!errors.isEmpty()) {
      // All or nothing: one invalid activity and none is enqueued.
      throw ApiException.invalid(errors);
    }
    return HttpResponse.accepted().body(admission.admit(batchId, activities, preempts));
  }

  @Get("/{batchId}/activities")
  @Operation(
      operationId = "listBatchActivities",
      summary = "List a batch's activities",
      description =
          "Role: observer. In the order the ledger first saw them; with `state`, only those in it"
              + " (which hosts a rollout failed on: `state=FAILED`). Pages follow `next_cursor`.")
  @ApiResponse(responseCode = "200", description = "One page of the batch's activities.")
  @ApiResponse(
      responseCode = "400",
      description = "An unknown `state`, or a `cursor` or `limit` out of bounds.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @ApiResponse(
      responseCode = "404",
      description = "No such batch.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public Page activities(
      @PathVariable String batchId,
      @Parameter(
              description =
                  "REQUESTED, QUEUED, RELEASED, DELIVERED, SUCCEEDED, FAILED, CANCELLED, EXPIRED or"
                      + " REJECTED (any case); all without it.")
          @Nullable
          @QueryValue
          String state,
      @Parameter(description = "The `next_cursor` of the page before.") @Nullable @QueryValue
          String cursor,
      @Parameter(schema = @Schema(minimum = "1", maximum = "500", defaultValue = "100"))
          @QueryValue(defaultValue = "100")
          int limit)
      throws Exception {
    List<Problem.FieldError> errors = new ArrayList<>();
    ActivityState wanted = null;
    if (state != null) {
      wanted = Lifecycle.state(state);
      if (wanted == ActivityState.UNKNOWN_STATE) {
        errors.add(new Problem.FieldError("state", "must be a lifecycle state, e.g. FAILED"));
      }
    }
    if (limit < 1 || limit > 500) {
      errors.add(new Problem.FieldError("limit", "must be 1 to 500"));
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    batch(batchId);
    return ledger.inBatch(batchId, wanted == null ? null : wanted.name(), cursor, limit);
  }

  @Get("/{batchId}")
  @Operation(
      operationId = "getBatch",
      summary = "Read a batch's progress",
      description =
          "Role: observer. How many of its activities are in each state, and the batch's own state.")
  @ApiResponse(responseCode = "200", description = "The batch.")
  @ApiResponse(
      responseCode = "404",
      description = "No such batch.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  public BatchView batch(@PathVariable String batchId) throws Exception {
    return ledger.batch(batchId).orElseThrow(() -> ApiException.notFound("batch " + batchId));
  }
}
