package dev.lineup.intake.api;

import dev.lineup.avro.Activity;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.intake.ledger.BatchView;
import dev.lineup.intake.ledger.Ledger;
import dev.lineup.intake.publish.BatchPublisher;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
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
public final class BatchController {

  private final ActivityValidator validator;
  private final BatchPublisher publisher;
  private final Ledger ledger;
  private final int maxSize;

  public BatchController(
      ActivityValidator validator,
      BatchPublisher publisher,
      Ledger ledger,
      @Value("${lineup.intake.limits.batch-size}") int maxSize) {
    this.validator = validator;
    this.publisher = publisher;
    this.ledger = ledger;
    this.maxSize = maxSize;
  }

  @Post
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
    List<Problem.FieldError> errors = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      BatchRequest.Item item = items.get(i);
      try {
        Activity a = validator.validate(item.hostId(), item.activity(), now);
        a.setBatchId(batchId);
        if (!ids.add(a.getActivityId())) {
          errors.add(
              new Problem.FieldError(
                  "activities[" + i + "].activity_id", "appears twice in the batch"));
        }
        activities.add(a);
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
    List<Command> commands = new ArrayList<>();
    for (Activity a : activities) {
      commands.add(
          Command.newBuilder()
              .setCommandId(UUID.randomUUID().toString())
              .setHostId(a.getHostId())
              .setIssuedAt(now)
              .setBody(Enqueue.newBuilder().setActivity(a).build())
              .build());
    }
    publisher.publish(commands);
    ledger.recordBatch(batchId, activities);
    return HttpResponse.accepted().body(ledger.batch(batchId).orElseThrow());
  }

  @Get("/{batchId}")
  public BatchView batch(@PathVariable String batchId) throws Exception {
    return ledger.batch(batchId).orElseThrow(() -> ApiException.notFound("batch " + batchId));
  }
}
