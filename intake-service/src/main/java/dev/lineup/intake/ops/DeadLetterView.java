package dev.lineup.intake.ops;

import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.StoredText;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import io.micronaut.serde.config.naming.SnakeCaseStrategy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One dead letter as the ops page shows it: where it is, when it was written, the key (a host id,
 * or a cancellation's {@code *}) and what its headers say. The value is left out: it is the bytes
 * that could not be used, and the Kafka tools read them ({@code --property print.headers=true}).
 */
@Serdeable(naming = SnakeCaseStrategy.class)
public record DeadLetterView(
    String topic,
    int partition,
    long offset,
    Instant timestamp,
    @Nullable String key,
    int valueBytes,
    @Nullable String reason,
    @Nullable String sourceTopic,
    @Nullable String sourcePartition,
    @Nullable String sourceOffset,
    @Nullable String consumer,
    @Nullable String dropped) {

  /** A reason may be a whole exception message; the page shows its start. */
  static final int TEXT_BYTES = 2048;

  static DeadLetterView of(ConsumerRecord<byte[], byte[]> record) {
    return new DeadLetterView(
        record.topic(),
        record.partition(),
        record.offset(),
        Instant.ofEpochMilli(record.timestamp()),
        record.key() == null
            ? null
            : StoredText.of(new String(record.key(), StandardCharsets.UTF_8), 512),
        record.value() == null ? 0 : record.value().length,
        header(record, DeadLetterHeaders.REASON),
        header(record, DeadLetterHeaders.SOURCE_TOPIC),
        header(record, DeadLetterHeaders.SOURCE_PARTITION),
        header(record, DeadLetterHeaders.SOURCE_OFFSET),
        header(record, DeadLetterHeaders.CONSUMER),
        header(record, DeadLetterHeaders.DROPPED));
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    return StoredText.of(DeadLetterHeaders.read(record.headers(), name), TEXT_BYTES);
  }
}
