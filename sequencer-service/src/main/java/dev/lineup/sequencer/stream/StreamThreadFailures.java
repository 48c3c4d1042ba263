package dev.lineup.sequencer.stream;

import dev.lineup.service.kafka.Failures;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a sequencer stream thread that died does: it is replaced, so that one bad moment never
 * leaves a task unowned. When Kafka refused it (credentials it does not accept, or an ACL that
 * denies the principal), a new thread would be refused at once, and Kafka Streams would replace
 * threads as fast as they die, each with a stack trace. So then the dying thread first waits a
 * backoff, doubling to {@link Failures#MAX_BACKOFF}, and the refusal is said once, in one line,
 * until the stream runs again ({@link #running}).
 */
public final class StreamThreadFailures implements StreamsUncaughtExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(StreamThreadFailures.class);

  private final Consumer<Duration> sleeper;
  private Duration backoff = Failures.FIRST_BACKOFF;
  private boolean refused;

  public StreamThreadFailures() {
    this(StreamThreadFailures::sleep);
  }

  /** With {@code sleeper} waiting out each backoff (a test's records them). */
  StreamThreadFailures(Consumer<Duration> sleeper) {
    this.sleeper = sleeper;
  }

  @Override
  public StreamThreadExceptionResponse handle(Throwable failure) {
    Duration wait;
    synchronized (this) {
      if (!refusedByKafka(failure)) {
        LOG.error("sequencer stream thread died; replacing it", failure);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
      }
      if (!refused) {
        refused = true;
        LOG.error(
            "Kafka refused the sequencer ({}): check the credentials of lineup.kafka.config and"
                + " the principal's ACLs. Its stream threads try again, every {} s at most, and"
                + " its health is down until Kafka lets them in",
            Failures.describe(failure, Failures.MAX_REASON),
            Failures.MAX_BACKOFF.toSeconds());
      } else {
        LOG.debug("Kafka refused the sequencer again", failure);
      }
      wait = backoff;
      backoff = Failures.nextBackoff(backoff);
    }
    sleeper.accept(wait);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /** The stream runs: a refusal is over, and the next one is said again. */
  public synchronized void running() {
    if (refused) {
      LOG.info("Kafka lets the sequencer in again");
    }
    refused = false;
    backoff = Failures.FIRST_BACKOFF;
  }

  /** Whether the failure, or anything in its cause chain, is Kafka refusing the client. */
  static boolean refusedByKafka(Throwable failure) {
    Set<Throwable> seen = new HashSet<>();
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
        return true;
      }
    }
    return false;
  }

  private static void sleep(Duration wait) {
    try {
      Thread.sleep(wait.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
