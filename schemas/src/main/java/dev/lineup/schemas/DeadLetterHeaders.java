package dev.lineup.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

/** The headers a dead-letter record carries: why it was refused and where it came from. */
public final class DeadLetterHeaders {

  public static final String REASON = "lineup.dlq.reason";
  public static final String SOURCE_TOPIC = "lineup.dlq.source.topic";
  public static final String SOURCE_PARTITION = "lineup.dlq.source.partition";
  public static final String SOURCE_OFFSET = "lineup.dlq.source.offset";

  /** Which consumer refused the record. */
  public static final String CONSUMER = "lineup.dlq.consumer";

  /** Present when the record's key and value were left out, saying why. */
  public static final String DROPPED = "lineup.dlq.dropped";

  /**
   * The most key and value bytes a dead letter carries: under Kafka's default 1 MiB record limit
   * with room for the headers. A larger record is dead-lettered without them, or its dead letter
   * would be refused and the refusing consumer could not move on.
   */
  public static final int MAX_BODY_BYTES = 900 * 1024;

  private DeadLetterHeaders() {}

  public static void write(
      Headers headers, String reason, String sourceTopic, int partition, long offset) {
    headers.add(REASON, utf8(reason));
    headers.add(SOURCE_TOPIC, utf8(sourceTopic));
    headers.add(SOURCE_PARTITION, utf8(Integer.toString(partition)));
    headers.add(SOURCE_OFFSET, utf8(Long.toString(offset)));
  }

  /**
   * The dead letter of a record refused by {@code consumer}: its key and value (left out past
   * {@link #MAX_BODY_BYTES}, with {@link #DROPPED} saying so) and every header above.
   */
  public static ProducerRecord<byte[], byte[]> deadLetter(
      String deadLetterTopic,
      byte[] key,
      byte[] value,
      String reason,
      String sourceTopic,
      int partition,
      long offset,
      String consumer) {
    long size = (key == null ? 0 : key.length) + (long) (value == null ? 0 : value.length);
    boolean tooLarge = size > MAX_BODY_BYTES;
    ProducerRecord<byte[], byte[]> dead =
        new ProducerRecord<>(deadLetterTopic, tooLarge ? null : key, tooLarge ? null : value);
    write(dead.headers(), reason, sourceTopic, partition, offset);
    dead.headers().add(CONSUMER, utf8(consumer));
    if (tooLarge) {
      dead.headers()
          .add(DROPPED, utf8("key and value left out: " + size + " bytes, over " + MAX_BODY_BYTES));
    }
    return dead;
  }

  public static String read(Headers headers, String name) {
    var header = headers.lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String value) {
    return (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
  }
}
