package dev.lineup.intake.ops;

import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
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
@Controller("/v1/dead-letters")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class DeadLetterController {

  /** Rule 15: every parameter has bounds. */
  static final int MAX_LIMIT = 200;

  private final String bootstrapServers;
  private final Duration readTimeout;
  private final OpsReads reads;

  public DeadLetterController(
      @Value("${lineup.kafka.bootstrap-servers}") String bootstrapServers,
      @Value("${lineup.intake.ops.read-timeout}") Duration readTimeout,
      OpsReads reads) {
    this.bootstrapServers = bootstrapServers;
    this.readTimeout = readTimeout;
    this.reads = reads;
  }

  /** The newest dead letters first. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  public record DeadLetters(List<DeadLetterView> deadLetters) {}

  @Get
  @Operation(summary = "The newest dead letters of one dead-letter topic or all four")
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
      try (TopicWindow window = new TopicWindow(bootstrapServers, topic, readTimeout)) {
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
