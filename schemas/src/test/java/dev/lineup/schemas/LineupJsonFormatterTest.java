package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class LineupJsonFormatterTest {

  private static String format(byte[] key, byte[] value) {
    var formatter = new LineupJsonFormatter();
    formatter.configure(Map.of("print.key", "true"));
    var out = new ByteArrayOutputStream();
    formatter.writeTo(
        new ConsumerRecord<>("lineup.commands", 0, 0L, key, value),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void printsALineupRecordAsJsonAfterItsKey() {
    byte[] value =
        Topics.COMMANDS
            .valueSerde()
            .serializer()
            .serialize("t", AvroSerdeTest.enqueueScript("host-7", "act-9"));

    String line = format("host-7".getBytes(StandardCharsets.UTF_8), value);

    assertThat(line).startsWith("host-7\t{");
    assertThat(line).contains("\"activity_id\": \"act-9\"").contains("\"type\": \"SCRIPT_RUN\"");
  }

  @Test
  void printsForeignBytesAsBase64InsteadOfStopping() {
    String line = format(null, "garbage".getBytes(StandardCharsets.UTF_8));

    assertThat(line).contains("\"undecodable\": \"Z2FyYmFnZQ==\"");
  }
}
