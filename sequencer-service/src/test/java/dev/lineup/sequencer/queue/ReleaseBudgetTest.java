package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReleaseBudgetTest {

  @Test
  void refillsInSmallStepsAddUpToWholeTokens() {
    var budget = new ReleaseBudget(1, 1);
    assertThat(budget.tryTake(0)).isTrue();
    assertThat(budget.tryTake(0)).isFalse();

    for (long t = 100; t < 1000; t += 100) {
      assertThat(budget.tryTake(t)).as("at %d ms", t).isFalse();
    }

    assertThat(budget.tryTake(1000)).isTrue();
  }

  @Test
  void savesUpAtMostTheBurst() {
    var budget = new ReleaseBudget(10, 3);
    budget.tryTake(0);

    int taken = 0;
    while (budget.tryTake(60_000)) {
      taken++;
    }

    assertThat(taken).isEqualTo(3);
  }
}
