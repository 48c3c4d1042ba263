package dev.lineup.sequencer.stream;

import dev.lineup.schemas.DeadLetterHeaders;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.PutAside;
import java.nio.charset.StandardCharsets;
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
 * <p>A tick has no record to dead-letter. Each of its parts is a step of its own, and one that
 * throws is put aside with a dead letter describing it ({@link #putAside}), sent through the
 * topology's dead-letter sink. What is left to throw out of a tick (a read of the deadline index or
 * the budget waits, putting a part aside, a transient failure) stops it: it is logged here, and the
 * next tick goes on.
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
    if (context.topic() == null) {
      // A punctuation: no record was read (a record, even with no key and value, has its topic).
      LOG.error(
          "sequencer task {}: a tick stopped; its parts before this one were applied, this one"
              + " changed nothing, and the next tick goes on",
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

  /**
   * The dead letter of a part of a tick put aside. It has no record of its own: its source is the
   * task's store, named by its changelog and the task's partition, at no offset (-1). Its key names
   * the host, activity or cancellation, and its value is what was stored, when that is worth
   * keeping (a selector cancel's command), else empty.
   */
  static ProducerRecord<byte[], byte[]> putAside(
      String changelogTopic, int partition, PutAside what) {
    return DeadLetterHeaders.deadLetter(
        Topics.SEQUENCER_DLQ.name(),
        what.key() == null ? null : what.key().getBytes(StandardCharsets.UTF_8),
        what.stored(),
        reason(what),
        changelogTopic,
        partition,
        -1,
        CONSUMER);
  }

  /** Counts a put-aside part's dead letter once its step was applied, and says what to do. */
  static void sentPutAside(String task, PutAside what) {
    DEAD_LETTERED.incrementAndGet();
    LOG.error(
        "sequencer task {}: {}; {}. Dead letter sent to {}",
        task,
        reason(what),
        what.advice(),
        Topics.SEQUENCER_DLQ.name());
  }

  private static String reason(PutAside what) {
    return "put aside: "
        + what.what()
        + ", which failed: "
        + dev.lineup.service.kafka.Failures.describe(what.cause(), 1_000);
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
