package dev.lineup.sequencer.stream;

import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rule 14 for the sequencer: a record it cannot decode, or whose processing throws, goes to {@code
 * lineup.sequencer.dlq} in the same transaction as the rest of the task's output, and the task goes
 * on. Processing that throws has changed nothing ({@link SequencerProcessor} stages every step), so
 * skipping the record is safe. Dead letters carry the headers every Lineup consumer writes ({@link
 * DeadLetterHeaders}).
 *
 * <p>A punctuation (the deadline tick) that throws has no record to dead-letter: it is logged and
 * the next tick tries again.
 */
public final class SequencerDeadLetters
    implements DeserializationExceptionHandler, ProcessingExceptionHandler {

  /** The consumer name dead letters are marked with. */
  public static final String CONSUMER = "sequencer";

  private static final Logger LOG = LoggerFactory.getLogger(SequencerDeadLetters.class);
  private static final AtomicLong DEAD_LETTERED = new AtomicLong();

  /** Dead letters written by this JVM's sequencer since it started. */
  public static long deadLettered() {
    return DEAD_LETTERED.get();
  }

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    return DeserializationExceptionHandler.Response.resume(
        List.of(deadLetter(context, record.key(), record.value(), "undecodable", exception)));
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (context.sourceRawValue() == null && context.sourceRawKey() == null) {
      LOG.error(
          "sequencer task {}: a tick failed and changed nothing; the next tick tries again",
          context.taskId(),
          exception);
      return ProcessingExceptionHandler.Response.resume();
    }
    return ProcessingExceptionHandler.Response.resume(
        List.of(
            deadLetter(
                context,
                context.sourceRawKey(),
                context.sourceRawValue(),
                "processing failed, no state changed",
                exception)));
  }

  private static ProducerRecord<byte[], byte[]> deadLetter(
      ErrorHandlerContext context, byte[] key, byte[] value, String what, Exception exception) {
    String reason = what + ": " + dev.lineup.service.kafka.Failures.describe(exception, 1_000);
    ProducerRecord<byte[], byte[]> dead =
        DeadLetterHeaders.deadLetter(
            Topics.SEQUENCER_DLQ.name(),
            key,
            value,
            reason,
            context.topic(),
            context.partition(),
            context.offset(),
            CONSUMER);
    DEAD_LETTERED.incrementAndGet();
    LOG.warn(
        "sequencer: {}-{}@{} sent to {}: {}",
        context.topic(),
        context.partition(),
        context.offset(),
        Topics.SEQUENCER_DLQ.name(),
        reason);
    return dead;
  }
}
