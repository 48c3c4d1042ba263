package dev.lineup.intake.api;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.Command;
import dev.lineup.intake.admission.ActivityClaims;
import dev.lineup.intake.ledger.ActivityView;
import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.ledger.Page;
import dev.lineup.intake.ledger.Requests;
import dev.lineup.intake.publish.CommandPublisher;
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
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;

/** The activity API of CONTRACT.md: enqueue, read, list, cancel, pause, resume, purge. */
@Controller("/v1")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class ActivityController {

  private final ActivityValidator validator;
  private final CommandPublisher publisher;
  private final Ledger ledger;
  private final Requests requests;
  private final ActivityClaims claims;
  private final JsonMapper json;
  private final Clock clock = Clock.systemUTC();

  public ActivityController(
      ActivityValidator validator,
      CommandPublisher publisher,
      Ledger ledger,
      Requests requests,
      ActivityClaims claims,
      JsonMapper json) {
    this.validator = validator;
    this.publisher = publisher;
    this.ledger = ledger;
    this.requests = requests;
    this.claims = claims;
    this.json = json;
  }

  /** What a host-level command answers. */
  @Serdeable
  public record Accepted(String hostId, String command) {}

  @Post("/hosts/{hostId}/activities")
  public HttpResponse<ActivityView> enqueue(
      @PathVariable String hostId,
      @Body EnqueueRequest body,
      @Nullable @Header("Idempotency-Key") String idempotencyKey,
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
    String origin = "http:" + UUID.randomUUID();
    ActivityClaims.Claim claim = claims.claim(id, hostId, origin);
    switch (claim.outcome()) {
      case CONFLICT -> throw ActivityClaims.idConflict("activity_id", id);
      case RESENT -> {
        // Enqueued before, within the idempotency window: a no-op answered with the activity.
        return HttpResponse.accepted().body(awaitRecorded(id));
      }
      case ADMITTED -> {}
    }
    boolean preempt = body.preempt() != null && body.preempt();
    try {
      publisher.publish(Commands.enqueue(activity, preempt));
    } catch (RuntimeException e) {
      claims.abandon(List.of(id), origin);
      throw e;
    }
    ledger.recordRequested(activity);
    return HttpResponse.accepted().body(ledger.find(id).orElseThrow());
  }

  @Get("/activities/{activityId}")
  public ActivityView activity(@PathVariable String activityId) throws Exception {
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
  public Page list(
      @PathVariable String hostId,
      @QueryValue(defaultValue = "upcoming") String state,
      @Nullable @QueryValue String cursor,
      @QueryValue(defaultValue = "50") int limit)
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
  public HttpResponse<ActivityView> cancel(
      @PathVariable String hostId, @PathVariable String activityId) throws Exception {
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
  public HttpResponse<Accepted> cancelUpcoming(
      @PathVariable String hostId, @Nullable @QueryValue String state) {
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
  public HttpResponse<Accepted> pause(@PathVariable String hostId) {
    return hostCommand(hostId, Commands::pause, "pause");
  }

  @Post("/hosts/{hostId}/resume")
  public HttpResponse<Accepted> resume(@PathVariable String hostId) {
    return hostCommand(hostId, Commands::resume, "resume");
  }

  @Delete("/hosts/{hostId}")
  public HttpResponse<Accepted> purge(@PathVariable String hostId) {
    return hostCommand(hostId, Commands::purge, "purge");
  }

  private HttpResponse<Accepted> hostCommand(
      String hostId, BiFunction<String, Instant, Command> command, String name) {
    ActivityValidator.checkHostId(hostId);
    publisher.publish(command.apply(hostId, clock.instant()));
    return HttpResponse.accepted().body(new Accepted(hostId, name));
  }
}
