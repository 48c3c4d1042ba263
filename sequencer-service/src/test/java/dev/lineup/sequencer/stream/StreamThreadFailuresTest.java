package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A sequencer whose credentials Kafka refuses says so once and retries at a growing pace, instead
 * of replacing its stream threads as fast as they die (measured by hand before: 1,569 log lines in
 * 30 s, a stack trace each time).
 */
class StreamThreadFailuresTest {

  private final Logger logger = (Logger) LoggerFactory.getLogger(StreamThreadFailures.class);
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final List<Duration> waits = new ArrayList<>();
  private final StreamThreadFailures failures = new StreamThreadFailures(waits::add);

  @BeforeEach
  void listen() {
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(lines);
  }

  private static StreamsException refused() {
    return new StreamsException(
        new SaslAuthenticationException("Authentication failed: Invalid username or password"));
  }

  private List<ILoggingEvent> errors() {
    return lines.list.stream().filter(e -> e.getLevel() == Level.ERROR).toList();
  }

  @Test
  void aRefusalIsSaidOnceAndEachNewThreadWaitsLongerUpToTheCap() {
    for (int i = 0; i < 12; i++) {
      assertThat(failures.handle(refused()))
          .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    assertThat(errors()).hasSize(1);
    assertThat(errors().get(0).getFormattedMessage())
        .contains("Kafka refused the sequencer")
        .contains("Invalid username or password")
        .contains("lineup.kafka.config");
    assertThat(errors().get(0).getThrowableProxy()).as("one line, no stack trace").isNull();
    assertThat(waits)
        .startsWith(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400))
        .isSorted()
        .last()
        .isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void anAclThatDeniesThePrincipalIsARefusalToo() {
    failures.handle(new StreamsException(new GroupAuthorizationException("lineup-sequencer")));

    assertThat(waits).containsExactly(Duration.ofMillis(100));
    assertThat(errors())
        .singleElement()
        .satisfies(e -> assertThat(e.getFormattedMessage()).contains("Kafka refused"));
  }

  @Test
  void onceTheStreamRunsAgainTheNextRefusalIsSaidAndWaitedFromTheStart() {
    failures.handle(refused());
    failures.handle(refused());
    failures.running();
    failures.handle(refused());

    assertThat(errors()).hasSize(2);
    assertThat(waits)
        .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(100));
  }

  @Test
  void anyOtherFailureReplacesTheThreadAtOnceWithItsStackTrace() {
    assertThat(failures.handle(new StreamsException(new IllegalStateException("a bug"))))
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);

    assertThat(waits).isEmpty();
    assertThat(errors())
        .singleElement()
        .satisfies(e -> assertThat(e.getThrowableProxy()).isNotNull());
  }
}
