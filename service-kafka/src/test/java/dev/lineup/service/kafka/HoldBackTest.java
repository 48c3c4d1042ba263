package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The hold-back decision and what it tells the operator: past the limit it holds back, until the
 * reader is at half of it; under a steady overload it goes on and off, and the log says so once per
 * episode, not once per hold.
 */
class HoldBackTest {

  private final AtomicLong now = new AtomicLong();
  private final HoldBack holdBack =
      new HoldBack(
          "door", "lineup-sequencer", "lineup.commands", 1_000, Duration.ofMillis(250), now::get);
  private final Logger logger = (Logger) LoggerFactory.getLogger(DownstreamLag.class);
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

  @BeforeEach
  void listen() {
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(lines);
    lines.stop();
  }

  @Test
  void holdsBackPastTheLimitUntilTheReaderIsAtHalfOfIt() {
    assertThat(holdBack.behind(1_000, 0)).as("at the limit").isFalse();
    assertThat(holdBack.behind(1_001, 0)).as("past it").isTrue();
    assertThat(holdBack.behind(600, 0)).as("still more than half").isTrue();
    assertThat(holdBack.behind(500, 0)).as("at half").isFalse();
    assertThat(holdBack.behind(900, 0)).as("below the limit again").isFalse();
  }

  @Test
  void theLagIsWorthReadingOftenPastHalfTheLimitAndForAMinuteAfterAHold() {
    assertThat(holdBack.near()).as("nothing read yet").isFalse();
    holdBack.behind(500, 0);
    assertThat(holdBack.near()).as("at half of the limit").isFalse();
    holdBack.behind(501, 0);
    assertThat(holdBack.near()).as("past half of it").isTrue();
    holdBack.behind(1_001, 0);
    assertThat(holdBack.near()).as("holding back").isTrue();
    advance(Duration.ofSeconds(1));
    holdBack.behind(100, 0);
    assertThat(holdBack.near())
        .as("caught up, but the door now admits as fast as it reads: the overload may go on")
        .isTrue();
    advance(HoldBack.QUIET.minusSeconds(1));
    holdBack.behind(100, 0);
    assertThat(holdBack.near()).as("a minute without holding back").isTrue();
    advance(Duration.ofSeconds(1));
    holdBack.behind(100, 0);
    assertThat(holdBack.near()).as("over a minute without holding back").isFalse();
  }

  @Test
  void aReaderThatTakesInMoreMayBeFurtherBehind() {
    // 4,000 records every 200 ms: 20,000 a second, so 250 ms of its work is 5,000 records.
    long read = 0;
    for (int i = 0; i < 25; i++) {
      assertThat(holdBack.behind(500, read)).isFalse();
      read += 4_000;
      advance(Duration.ofMillis(200));
    }
    assertThat(holdBack.behind(4_000, read)).isFalse();
    assertThat(holdBack.limit()).isBetween(4_900L, 5_000L);
    assertThat(holdBack.behind(6_000, read += 4_000)).isTrue();

    // It stops reading: within seconds its rate is gone, and 1,000 records is the limit again.
    for (int i = 0; i < 25; i++) {
      advance(Duration.ofMillis(200));
      holdBack.behind(6_000, read);
    }
    assertThat(holdBack.limit()).isEqualTo(1_000);
    assertThat(holdBack.behind(600, read)).as("more than half of 1,000").isTrue();
    assertThat(holdBack.behind(500, read)).isFalse();
  }

  @Test
  void aReadingThatWentBackwardsCountsAsNothingRead() {
    holdBack.behind(0, 1_000_000);
    advance(Duration.ofSeconds(1));
    holdBack.behind(0, 0);
    assertThat(holdBack.limit()).isEqualTo(1_000);
  }

  @Test
  void anUnreadableLagHoldsNothingBack() {
    assertThat(holdBack.behind(5_000, 0)).isTrue();
    holdBack.unknown();
    assertThat(holdBack.holding()).isFalse();
    assertThat(holdBack.behind(800, 0)).as("not holding, and below the limit").isFalse();
  }

  @Test
  void anOverloadThatGoesOnAndOffIsSaidOnceAndItsEndOnceAMinuteLater() {
    // Thirty holds of a second each, a second apart: flow control under a steady overload.
    for (int i = 0; i < 30; i++) {
      holdBack.behind(1_500, 0);
      advance(Duration.ofSeconds(1));
      holdBack.behind(400, 0);
      advance(Duration.ofSeconds(1));
    }
    assertThat(lines.list)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getLevel()).isEqualTo(Level.WARN);
              assertThat(e.getFormattedMessage())
                  .isEqualTo(
                      "door: holding back: lineup-sequencer is 1500 records behind on lineup.commands"
                          + " (more than 1000); new work waits where it is until it is at 500. Said once"
                          + " until it has not held back for 60 s");
            });

    // Under a minute without holding back: still the same episode.
    advance(Duration.ofSeconds(58));
    holdBack.behind(300, 0);
    assertThat(lines.list).hasSize(1);

    advance(Duration.ofSeconds(1));
    holdBack.behind(300, 0);
    assertThat(lines.list).hasSize(2);
    assertThat(lines.list.get(1).getLevel()).isEqualTo(Level.INFO);
    assertThat(lines.list.get(1).getFormattedMessage())
        .isEqualTo(
            "door: no longer holding back: lineup-sequencer is 300 records behind on"
                + " lineup.commands; held back 30 times, 30 s in all, until 60 s ago");

    // A later overload is a new episode, said again.
    holdBack.behind(2_000, 0);
    assertThat(messages()).hasSize(3);
    assertThat(messages().get(2)).startsWith("door: holding back: lineup-sequencer is 2000");
  }

  private void advance(Duration duration) {
    now.addAndGet(duration.toNanos());
  }

  private List<String> messages() {
    return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }
}
