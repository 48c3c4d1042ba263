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
        SequencerDeadLetters.class.getName(),
        // The topology has no global stores; enabling it only opts in to Kafka 5.0's default now,
        // which Streams otherwise warns about at every start. The partition assignor reads its
        // settings from the main consumer's, so they carry it too.
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG,
        true,
        StreamsConfig.mainConsumerPrefix(
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG),
        true);
  }

  /** Everything a production instance needs besides addresses and directories. */
  public static Map<String, Object> guarantees() {
    return Map.of(
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
        StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.NO_OPTIMIZATION);
  }
}
