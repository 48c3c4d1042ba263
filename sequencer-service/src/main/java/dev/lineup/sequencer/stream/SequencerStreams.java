package dev.lineup.sequencer.stream;

import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;

/** Kafka Streams settings that are part of the sequencer's design, not deployment knobs. */
public final class SequencerStreams {

  private SequencerStreams() {}

  /**
   * A record that cannot be decoded, or whose processing throws (changing nothing), goes to {@code
   * lineup.sequencer.dlq} with the reason in its headers, and processing goes on: a poison record
   * never stops the sequencer ({@link SequencerDeadLetters}).
   */
  public static Map<String, Object> errorHandling() {
    return Map.of(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        SequencerDeadLetters.class.getName(),
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        SequencerDeadLetters.class.getName());
  }

  /** Everything a production instance needs besides addresses and directories. */
  public static Map<String, Object> guarantees() {
    return Map.of(
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
        StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.NO_OPTIMIZATION);
  }
}
