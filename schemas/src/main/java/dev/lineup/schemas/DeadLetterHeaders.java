package dev.lineup.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;

/** The headers a dead-letter record carries: why it was refused and where it came from. */
public final class DeadLetterHeaders {

  public static final String REASON = "lineup.dlq.reason";
  public static final String SOURCE_TOPIC = "lineup.dlq.source.topic";
  public static final String SOURCE_PARTITION = "lineup.dlq.source.partition";
  public static final String SOURCE_OFFSET = "lineup.dlq.source.offset";

  private DeadLetterHeaders() {}

  public static void write(
      Headers headers, String reason, String sourceTopic, int partition, long offset) {
    headers.add(REASON, utf8(reason));
    headers.add(SOURCE_TOPIC, utf8(sourceTopic));
    headers.add(SOURCE_PARTITION, utf8(Integer.toString(partition)));
    headers.add(SOURCE_OFFSET, utf8(Long.toString(offset)));
  }

  public static String read(Headers headers, String name) {
    var header = headers.lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String value) {
    return (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
  }
}
