package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.ReasonCode;
import java.util.Arrays;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class LifecycleTest {

  @Test
  void anActivityEndsSucceededFailedCancelledExpiredOrRejected() {
    assertThat(Lifecycle.TERMINAL)
        .containsExactlyInAnyOrder(
            ActivityState.SUCCEEDED,
            ActivityState.FAILED,
            ActivityState.CANCELLED,
            ActivityState.EXPIRED,
            ActivityState.REJECTED);
    assertThat(Lifecycle.isTerminal(ActivityState.CANCELLED)).isTrue();
    assertThat(Lifecycle.isTerminal(ActivityState.DELIVERED)).isFalse();
  }

  @Test
  void releasedAndDeliveredAreReleasedAndNeitherHasEnded() {
    assertThat(Lifecycle.RELEASED)
        .containsExactlyInAnyOrder(ActivityState.RELEASED, ActivityState.DELIVERED);
    assertThat(Lifecycle.RELEASED).doesNotContainAnyElementsOf(Lifecycle.TERMINAL);
    assertThat(Lifecycle.isReleased(ActivityState.QUEUED)).isFalse();
  }

  @Test
  void everyStateIsWaitingReleasedEndedOrUnknownAndOnlyOne() {
    var waiting = EnumSet.of(ActivityState.REQUESTED, ActivityState.QUEUED);
    for (ActivityState state : ActivityState.values()) {
      int kinds =
          (waiting.contains(state) ? 1 : 0)
              + (Lifecycle.isReleased(state) ? 1 : 0)
              + (Lifecycle.isTerminal(state) ? 1 : 0)
              + (state == ActivityState.UNKNOWN_STATE ? 1 : 0);
      assertThat(kinds).as(state.name()).isEqualTo(1);
    }
  }

  @Test
  void aDuplicateALateResultAndARefusedCancelAreNotesAndNothingElseIs() {
    assertThat(Lifecycle.NOTES)
        .containsExactlyInAnyOrder(
            ReasonCode.DUPLICATE, ReasonCode.LATE_RESULT, ReasonCode.NOT_CANCELLABLE);
    assertThat(Lifecycle.isNote(ReasonCode.USER_CANCEL)).isFalse();
  }

  @Test
  void onlyALockOrAWipeCannotBeCancelledOnceReleased() {
    assertThat(
            Arrays.stream(ActivityType.values())
                .filter(t -> !Lifecycle.isCancellableOnceReleased(t)))
        .containsExactlyInAnyOrder(ActivityType.LOCK, ActivityType.WIPE);
  }

  @Test
  void storedNamesReadAsTheirSymbolsAndUnknownOnesAsUnknown() {
    assertThat(Lifecycle.state("DELIVERED")).isEqualTo(ActivityState.DELIVERED);
    assertThat(Lifecycle.state("PARKED")).isEqualTo(ActivityState.UNKNOWN_STATE);
    assertThat(Lifecycle.state(null)).isEqualTo(ActivityState.UNKNOWN_STATE);
    assertThat(Lifecycle.type("wipe")).isEqualTo(ActivityType.WIPE);
    assertThat(Lifecycle.type("LOCK")).isEqualTo(ActivityType.LOCK);
    assertThat(Lifecycle.type("reboot")).isEqualTo(ActivityType.UNKNOWN_TYPE);
  }

  @Test
  void theSetsCannotBeChanged() {
    assertThatThrownBy(() -> Lifecycle.TERMINAL.add(ActivityState.QUEUED))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
