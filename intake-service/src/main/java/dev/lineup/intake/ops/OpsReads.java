package dev.lineup.intake.ops;

import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpResponse;
import jakarta.inject.Singleton;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many Kafka reads the ops endpoints (the event tail, the dead letters) run at once: each opens
 * a consumer with its own connections and buffers, so a page left open in many tabs, or a script
 * polling in a loop, must not open them without end. A read over the bound is a 503 with {@code
 * Retry-After}, as is one Kafka does not answer in time.
 */
@Singleton
public final class OpsReads {

  private static final Logger LOG = LoggerFactory.getLogger(OpsReads.class);

  private final Semaphore permits;

  public OpsReads(@Value("${lineup.intake.ops.max-reads}") int maxReads) {
    this.permits = new Semaphore(Math.max(1, maxReads));
  }

  /** The answer of {@code read}, unless too many reads run already or Kafka did not answer. */
  HttpResponse<?> bounded(Supplier<?> read) {
    if (!permits.tryAcquire()) {
      return Problem.retryLater(
          "Too many reads", "the ops page's Kafka reads are all in use; retry in a second");
    }
    try {
      return HttpResponse.ok(read.get());
    } catch (KafkaException e) {
      // Kafka's TimeoutException is a KafkaException: the broker is away or slow.
      LOG.warn("an ops read of Kafka failed: {}", e.toString());
      return Problem.retryLater("Kafka unavailable", "Kafka did not answer the read in time");
    } finally {
      permits.release();
    }
  }
}
