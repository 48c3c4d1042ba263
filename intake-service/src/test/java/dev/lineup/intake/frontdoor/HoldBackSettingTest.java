package dev.lineup.intake.frontdoor;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.service.kafka.KafkaConnection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code lineup.intake.front-door.hold-back-at} is 0 (never hold back) or at least 2: any other
 * value stops intake at start with a line naming the setting, instead of running without the
 * push-back the operator meant to set.
 */
class HoldBackSettingTest {

  @ParameterizedTest
  @ValueSource(longs = {-1, -10_000, 1})
  void aLimitThatIsNeitherOffNorAtLeastTwoIsRefusedAtStart(long holdBackAt) {
    assertThatThrownBy(
            () ->
                new RequestFrontDoor(
                    null,
                    null,
                    null,
                    null,
                    KafkaConnection.plaintext("127.0.0.1:9"),
                    "lineup-intake-front-door",
                    Duration.ofMillis(50),
                    holdBackAt,
                    Duration.ofMillis(250),
                    Duration.ofMillis(200),
                    "lineup-sequencer",
                    "intake-1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "lineup.intake.front-door.hold-back-at is "
                + holdBackAt
                + ": it must be 0 (never hold back) or at least 2 commands");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 2, 10_000})
  void offAndEveryLimitOfTwoOrMoreAreTaken(long holdBackAt) {
    assertThatCode(() -> RequestFrontDoor.checkHoldBackAt(holdBackAt)).doesNotThrowAnyException();
  }

  @Test
  void aCheckOfLessThanAMillisecondIsRefusedAtStart() {
    assertThatThrownBy(() -> RequestFrontDoor.checkHoldBackCheck(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lineup.intake.front-door.hold-back-check is 0ms: it must be at least 1ms");
    assertThatCode(() -> RequestFrontDoor.checkHoldBackCheck(Duration.ofMillis(1)))
        .doesNotThrowAnyException();
  }

  @Test
  void aNegativeTimeIsRefusedAtStart() {
    assertThatThrownBy(() -> RequestFrontDoor.checkHoldBackTime(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lineup.intake.front-door.hold-back-time is negative: it must be 0 or more");
    assertThatCode(() -> RequestFrontDoor.checkHoldBackTime(Duration.ZERO))
        .doesNotThrowAnyException();
  }
}
