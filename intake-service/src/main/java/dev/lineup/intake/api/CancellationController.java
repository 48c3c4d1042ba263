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
public final class CancellationController {

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** Every given field must match; at least one is required. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  public record SelectorRequest(
      @Nullable String type, @Nullable String installerId, @Nullable String scriptSha256) {}

  @Serdeable(naming = SnakeCaseStrategy.class)
  public record Accepted(String cancellationId, int partitions) {}

  private final CommandPublisher publisher;

  public CancellationController(CommandPublisher publisher) {
    this.publisher = publisher;
  }

  @Post
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
      errors.add(
          new Problem.FieldError("", "give at least one of type, installer_id, script_sha256"));
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
