package dev.lineup.intake.ops;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import dev.lineup.service.kafka.KafkaConnection;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code GET /v1/dead-letters?topic=&limit=}: the newest dead letters of one {@code lineup.*.dlq}
 * topic, or of all four, newest first. Read from the end of each partition with a short-lived
 * consumer ({@link TopicWindow}); nothing is consumed or committed, so reading them here changes
 * nothing for a tool that replays them.
 */
@Tag(name = "operations")
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
    description =
        "Kafka did not answer in time, or too many reads run at once; send the same request again (`Retry-After`).",
    content =
        @Content(
            mediaType = Problem.CONTENT_TYPE,
            schema = @Schema(implementation = Problem.class)))
@Controller("/v1/dead-letters")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class DeadLetterController {

  /** Rule 15: every parameter has bounds. */
  static final int MAX_LIMIT = 200;

  private final KafkaConnection kafka;
  private final Duration readTimeout;
  private final OpsReads reads;

  public DeadLetterController(
      KafkaConnection kafka,
      @Value("${lineup.intake.ops.read-timeout}") Duration readTimeout,
      OpsReads reads) {
    this.kafka = kafka;
    this.readTimeout = readTimeout;
    this.reads = reads;
  }

  /** The newest dead letters first. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record DeadLetters(List<DeadLetterView> deadLetters) {}

  @Operation(
      operationId = "listDeadLetters",
      summary = "The newest dead letters of one dead-letter topic or all four",
      description =
          "Role: observer. Newest first, with the reason, the record's origin and the consumer"
              + " that refused it, from the headers.")
  @ApiResponse(
      responseCode = "200",
      description = "The dead letters.",
      content = @Content(schema = @Schema(implementation = DeadLetterController.DeadLetters.class)))
  @ApiResponse(
      responseCode = "400",
      description = "`topic` unknown or `limit` out of bounds; each named in `errors`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @Get
  public HttpResponse<?> deadLetters(
      @Nullable @QueryValue String topic, @QueryValue(defaultValue = "50") int limit) {
    List<Problem.FieldError> errors = new ArrayList<>();
    List<String> topics = Topics.DEAD_LETTERS.stream().map(Topic::name).toList();
    if (topic != null && !topics.contains(topic)) {
      errors.add(new Problem.FieldError("topic", "must be one of " + String.join(", ", topics)));
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      errors.add(new Problem.FieldError("limit", "must be 1 to " + MAX_LIMIT));
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    List<String> asked = topic == null ? topics : List.of(topic);
    return reads.bounded(() -> new DeadLetters(newest(asked, limit)));
  }

  private List<DeadLetterView> newest(List<String> topics, int limit) {
    List<DeadLetterView> found = new ArrayList<>();
    for (String topic : topics) {
      try (TopicWindow window = new TopicWindow(kafka, topic, readTimeout)) {
        List<TopicPartition> partitions = window.partitions();
        Map<TopicPartition, Long> beginnings = window.beginnings(partitions);
        Map<TopicPartition, Long> ends = window.ends(partitions);
        // The newest limit of the topic are among the newest limit of each partition.
        Map<TopicPartition, Long> from = new HashMap<>();
        for (TopicPartition partition : partitions) {
          from.put(partition, Math.max(beginnings.get(partition), ends.get(partition) - limit));
        }
        window.read(from, ends, limit * partitions.size()).records().stream()
            .map(DeadLetterView::of)
            .forEach(found::add);
      }
    }
    return found.stream()
        .sorted(
            Comparator.comparing(DeadLetterView::timestamp)
                .thenComparing(DeadLetterView::offset)
                .reversed())
        .limit(limit)
        .collect(Collectors.toList());
  }
}
