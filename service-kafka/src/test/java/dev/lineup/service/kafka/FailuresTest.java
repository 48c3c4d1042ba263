package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rule 14's retry pace, which every consumer loop takes from here. */
class FailuresTest {

  @Test
  void aTransientFailureIsRetriedFrom100MillisecondsDoublingUpTo10Seconds() {
    List<Long> pauses = new ArrayList<>();
    Duration backoff = Failures.FIRST_BACKOFF;
    for (int i = 0; i < 10; i++) {
      pauses.add(backoff.toMillis());
      backoff = Failures.nextBackoff(backoff);
    }

    assertThat(pauses)
        .containsExactly(100L, 200L, 400L, 800L, 1_600L, 3_200L, 6_400L, 10_000L, 10_000L, 10_000L);
  }
}
