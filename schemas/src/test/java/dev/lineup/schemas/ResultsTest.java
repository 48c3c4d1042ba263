package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ResultKind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ResultsTest {

  private static final Instant AT = Instant.parse("2026-03-01T10:00:00.123456789Z");
  private static final Results.Attempt ATTEMPT = new Results.Attempt("a-1", "host-1", 2);

  @Test
  void aResultNamesItsAttemptWithItsOwnIdAtTheTimeTheTopicKeeps() {
    ActivityResult first = Results.delivered(ATTEMPT, AT);
    ActivityResult second = Results.delivered(ATTEMPT, AT);

    assertThat(first.getActivityId()).isEqualTo("a-1");
    assertThat(first.getHostId()).isEqualTo("host-1");
    assertThat(first.getAttempt()).isEqualTo(2);
    assertThat(first.getKind()).isEqualTo(ResultKind.DELIVERED);
    assertThat(first.getOccurredAt()).isEqualTo(Instant.parse("2026-03-01T10:00:00.123Z"));
    assertThat(first.getResultId()).isNotEqualTo(second.getResultId());
    var serde = Topics.RESULTS.valueSerde();
    byte[] bytes = serde.serializer().serialize(Topics.RESULTS.name(), first);
    assertThat(serde.deserializer().deserialize(Topics.RESULTS.name(), bytes)).isEqualTo(first);
  }

  @Test
  void aHeartbeatCarriesItsExtensionOrNoneForTheTypesDefault() {
    assertThat(Results.heartbeat(ATTEMPT, AT, 30_000L).getLeaseExtensionMs()).isEqualTo(30_000L);
    ActivityResult notNow = Results.heartbeat(ATTEMPT, AT, null);
    assertThat(notNow.getKind()).isEqualTo(ResultKind.HEARTBEAT);
    assertThat(notNow.getLeaseExtensionMs()).isNull();
    assertThat(notNow.getOutput()).isNull();
  }

  @Test
  void anAttemptEndsSucceededOrFailedWithWhatTheDeviceReported() {
    ActivityResult failed = Results.ended(ATTEMPT, ResultKind.FAILED, AT, 3, "boom");

    assertThat(failed.getKind()).isEqualTo(ResultKind.FAILED);
    assertThat(failed.getExitCode()).isEqualTo(3);
    assertThat(failed.getOutput()).isEqualTo("boom");
    assertThatThrownBy(() -> Results.ended(ATTEMPT, ResultKind.HEARTBEAT, AT, null, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anUndeliverableCommandFailsItsAttemptWithTheReasonAsOutput() {
    ActivityResult result = Results.undeliverable(ATTEMPT, AT, "refused: 400");

    assertThat(result.getKind()).isEqualTo(ResultKind.FAILED);
    assertThat(result.getExitCode()).isNull();
    assertThat(result.getOutput()).isEqualTo("refused: 400");
  }
}
