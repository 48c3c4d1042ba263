package dev.lineup.intake.ops;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.intake.validation.ActivityValidator;
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
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code GET /v1/events?after=&host=&limit=}: the ops page's live tail of {@code lineup.events},
 * polled with a cursor. Each call reads what was committed since {@code after} (without it, the
 * last {@code limit} records of each partition) and answers the cursor to pass next. A poll, not a
 * stream: no consumer outlives its request, a client that goes away leaves nothing open, and {@code
 * lineup.intake.ops.max-reads} bounds how many run at once.
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
@Controller("/v1/events")
@ExecuteOn(TaskExecutors.BLOCKING)
public final class EventTailController {

  /** {@code partition:offset} pairs, comma-separated. */
  private static final Pattern CURSOR =
      Pattern.compile("^\\d{1,6}:\\d{1,19}(,\\d{1,6}:\\d{1,19})*$");

  private final KafkaConnection kafka;
  private final Duration readTimeout;
  private final OpsReads reads;

  public EventTailController(
      KafkaConnection kafka,
      @Value("${lineup.intake.ops.read-timeout}") Duration readTimeout,
      OpsReads reads) {
    this.kafka = kafka;
    this.readTimeout = readTimeout;
    this.reads = reads;
  }

  /** A page of the tail and where the next one starts. */
  @Serdeable(naming = SnakeCaseStrategy.class)
  // An empty page is [] (not left out), as a client iterating it expects.
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Tail(List<EventView> events, String next, int undecodable) {}

  @Operation(
      operationId = "tailEvents",
      summary = "A page of lineup.events after a cursor, optionally of one host",
      description =
          "Role: observer. Without `after`, the newest events; pass `next` back as `after` to"
              + " follow the tail.")
  @ApiResponse(
      responseCode = "200",
      description = "Events after the cursor, and the cursor to pass next.",
      content = @Content(schema = @Schema(implementation = EventTailController.Tail.class)))
  @ApiResponse(
      responseCode = "400",
      description = "`after`, `host` or `limit` out of bounds; each named in `errors`.",
      content =
          @Content(
              mediaType = Problem.CONTENT_TYPE,
              schema = @Schema(implementation = Problem.class)))
  @Get
  public HttpResponse<?> eventTail(
      @Nullable @QueryValue String after,
      @Nullable @QueryValue String host,
      @QueryValue(defaultValue = "100") int limit) {
    List<Problem.FieldError> errors = new ArrayList<>();
    if (limit < 1 || limit > 500) {
      errors.add(new Problem.FieldError("limit", "must be 1 to 500"));
    }
    if (host != null) {
      try {
        ActivityValidator.checkHostId(host);
      } catch (ApiException e) {
        errors.add(
            new Problem.FieldError(
                "host", "must be 1 to 255 characters without control characters, and not \"*\""));
      }
    }
    Map<Integer, Long> cursor = new HashMap<>();
    if (after != null && !after.isEmpty()) {
      if (after.length() > 20_000 || !CURSOR.matcher(after).matches()) {
        errors.add(
            new Problem.FieldError(
                "after", "must be partition:offset pairs separated by commas, as next answered"));
      } else {
        for (String pair : after.split(",")) {
          String[] parts = pair.split(":");
          try {
            cursor.put(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
          } catch (NumberFormatException e) {
            errors.add(new Problem.FieldError("after", "holds a number out of range: " + pair));
            break;
          }
        }
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    return reads.bounded(() -> read(cursor, host, limit));
  }

  private Tail read(Map<Integer, Long> cursor, @Nullable String host, int limit) {
    String topic = Topics.EVENTS.name();
    try (TopicWindow window = new TopicWindow(kafka, topic, readTimeout)) {
      List<TopicPartition> partitions = window.partitions();
      Map<TopicPartition, Long> beginnings = window.beginnings(partitions);
      Map<TopicPartition, Long> ends = window.ends(partitions);
      for (Integer partition : cursor.keySet()) {
        if (!beginnings.containsKey(new TopicPartition(topic, partition))) {
          throw ApiException.invalid(
              List.of(
                  new Problem.FieldError("after", "names partition " + partition + " of none")));
        }
      }
      Map<TopicPartition, Long> from =
          new TreeMap<>(Comparator.comparingInt(TopicPartition::partition));
      for (TopicPartition partition : partitions) {
        long oldest = beginnings.get(partition);
        long end = ends.get(partition);
        Long given = cursor.get(partition.partition());
        // A cursor past the end (a topic recreated) starts again at the end; one before the oldest
        // record still held (retention deleted some) starts at the oldest. A partition the cursor
        // does not name (added since) starts at its end.
        long start =
            cursor.isEmpty()
                ? Math.max(oldest, end - limit)
                : given == null ? end : Math.max(oldest, Math.min(given, end));
        from.put(partition, start);
      }
      // The first call shows the newest events; later ones hand out at most limit records each,
      // so nothing between two cursors is skipped.
      boolean first = cursor.isEmpty();
      TopicWindow.Read read = window.read(from, ends, first ? limit * partitions.size() : limit);
      List<EventView> events = new ArrayList<>();
      int undecodable = 0;
      for (ConsumerRecord<byte[], byte[]> record : read.records()) {
        LifecycleEvent event;
        try {
          event = Topics.EVENTS.valueSerde().deserializer().deserialize(topic, record.value());
        } catch (RuntimeException e) {
          // The ledger dead-letters such a record; the tail only counts it.
          undecodable++;
          continue;
        }
        if (event == null || (host != null && !host.equals(event.getHostId()))) {
          continue;
        }
        events.add(EventView.of(record.partition(), record.offset(), event));
      }
      events.sort(Comparator.comparing(EventView::occurredAt));
      if (first && events.size() > limit) {
        events = new ArrayList<>(events.subList(events.size() - limit, events.size()));
      }
      StringBuilder next = new StringBuilder();
      for (var position : from.keySet()) {
        if (!next.isEmpty()) {
          next.append(',');
        }
        next.append(position.partition()).append(':').append(read.next().get(position));
      }
      return new Tail(events, next.toString(), undecodable);
    }
  }
}
