package dev.lineup.embedded;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes records as a test plays another service, or a broken one: raw bytes, one key, and back
 * only once the broker has every record, so what the test checks next can see them. {@link
 * TopicReader} is the other half.
 */
public final class TopicWriter {

  private TopicWriter() {}

  /** {@code values} in order under {@code key}; a null value is a tombstone. */
  public static void write(String bootstrapServers, String topic, byte[] key, byte[]... values) {
    try (var producer =
        new KafkaProducer<>(
            Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (byte[] value : values) {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not write to " + topic, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted writing to " + topic, e);
    }
  }

  /** UTF-8 {@code values} under UTF-8 {@code key}. */
  public static void write(String bootstrapServers, String topic, String key, String... values) {
    byte[][] bytes = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = values[i].getBytes(StandardCharsets.UTF_8);
    }
    write(bootstrapServers, topic, key.getBytes(StandardCharsets.UTF_8), bytes);
  }
}
