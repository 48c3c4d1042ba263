package dev.lineup.sequencer.stream;

import dev.lineup.schemas.Topics;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/** Kafka Streams settings that are part of the sequencer's design, not deployment knobs. */
public final class SequencerStreams {

  private SequencerStreams() {}

  /**
   * A record that cannot be decoded, or whose processing throws, goes to {@code
   * lineup.sequencer.dlq} with the exception in its headers, and processing goes on: a poison
   * record never stops the sequencer.
   */
  public static Map<String, Object> errorHandling() {
    return Map.of(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueExceptionHandler.class.getName(),
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        LogAndContinueProcessingExceptionHandler.class.getName(),
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
        Topics.SEQUENCER_DLQ.name());
  }

  /** Everything a production instance needs besides addresses and directories. */
  public static Map<String, Object> guarantees() {
    return Map.of(
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
        StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.NO_OPTIMIZATION);
  }
}
