package dev.lineup.service.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

/** What a gathering consumer asks the broker for. */
class FetchGatheringTest {

  @Test
  void theBrokerAnswersOnceABatchIsThereOrTheGatherTimeHasPassed() {
    Map<String, Object> config =
        FetchGathering.gather(new HashMap<>(), 500, 300, Duration.ofMillis(50));

    assertThat(config)
        .containsEntry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500)
        .containsEntry(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 150_000)
        .containsEntry(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
  }

  @Test
  void aBigBatchNeverHoldsTheFetchBackForMoreThanOnePartitionCanGive() {
    Map<String, Object> config =
        FetchGathering.gather(new HashMap<>(), 100_000, 200, Duration.ofHours(1));

    // Under max.partition.fetch.bytes (1 MiB); and the wait under the request timeout (30 s).
    assertThat(config)
        .containsEntry(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 512 * 1024)
        .containsEntry(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5_000);
  }

  @Test
  void noGatherTimeKeepsKafkasDefaultsAndOnlyBoundsTheBatch() {
    Map<String, Object> config = FetchGathering.gather(new HashMap<>(), 500, 300, Duration.ZERO);

    assertThat(config)
        .containsEntry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500)
        .doesNotContainKeys(
            ConsumerConfig.FETCH_MIN_BYTES_CONFIG, ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG);
  }

  @Test
  void aNegativeGatherTimeIsRefused() {
    assertThatThrownBy(
            () -> FetchGathering.gather(new HashMap<>(), 500, 300, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be negative");
  }
}
