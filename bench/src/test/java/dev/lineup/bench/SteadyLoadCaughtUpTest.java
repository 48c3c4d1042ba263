package dev.lineup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * How the capacity search judges a step whose window began behind: one that only caught up what its
 * warm-up left is run once more, at any rate, and counts on its second try alone; a first rate that
 * fell behind (cold JVMs) is run once more warm, and halved if it still does not hold.
 */
class SteadyLoadCaughtUpTest {

  /** What a step's window saw: its backlog at the start and at the end, and the rate achieved. */
  private record Window(long backlogStart, long backlogEnd, double achievedShare) {}

  private static final Window FLAT = new Window(100, 100, 1.0);
  private static final Window CAUGHT_UP = new Window(18_000, 10_000, 1.03);
  private static final Window FELL_BEHIND = new Window(100, 50_000, 0.6);

  /** A search whose steps return scripted windows, rate by rate and try by try. */
  private static final class Scripted extends SteadyLoad {
    final List<Double> ran = new ArrayList<>();
    final List<Integer> firstHosts = new ArrayList<>();
    private final BiFunction<Double, Integer, Window> script;

    Scripted(BiFunction<Double, Integer, Window> script) {
      super(10, Duration.ZERO, Duration.ZERO, null);
      this.script = script;
    }

    @Override
    Step step(Target target, Meter meter, double rate, Duration warmup, int firstHost) {
      int tries = (int) ran.stream().filter(r -> r == rate).count();
      ran.add(rate);
      firstHosts.add(firstHost);
      Window w = script.apply(rate, tries);
      double achieved = rate * w.achievedShare();
      boolean sustained = sustained(rate, achieved, w.backlogStart(), w.backlogEnd());
      Histogram h = new Histogram(3);
      return new Step(
          rate, achieved, h, h, h, h, w.backlogStart(), w.backlogEnd(), sustained, null);
    }
  }

  private static final SteadyLoad.Target NO_QUEUE =
      new SteadyLoad.Target() {
        @Override
        public String name() {
          return "scripted";
        }

        @Override
        public String host(int h) {
          return "host-" + h;
        }

        @Override
        public void start(SteadyLoad.Meter meter) {}

        @Override
        public void offer(int host, int k, String id) {}

        @Override
        public void close() {}
      };

  @Test
  void aLaterRateWhoseWindowOnlyCaughtUpItsWarmUpIsRunOnceMoreAndCounts() throws Exception {
    // 4,000 starts behind once, then holds; 8,000 falls behind; the bisection holds up to 5,000.
    Scripted search =
        new Scripted(
            (rate, tries) -> {
              if (rate == 4000 && tries == 0) {
                return CAUGHT_UP;
              }
              return rate <= 5000 ? FLAT : FELL_BEHIND;
            });

    SteadyLoad.Capacity capacity = search.capacity(NO_QUEUE, 2000, 8000);

    assertThat(search.ran)
        .as("the rates run, in order")
        .containsExactly(2000.0, 4000.0, 4000.0, 8000.0, 6000.0, 5000.0, 5500.0, 2500.0);
    assertThat(capacity.rate()).as("the capacity found").isEqualTo(5000);
    assertThat(capacity.half().offered()).as("half of it").isEqualTo(2500);
  }

  @Test
  void aRateThatStartsBehindTwiceIsNotSustained() throws Exception {
    Scripted search = new Scripted((rate, tries) -> rate >= 4000 ? CAUGHT_UP : FLAT);

    SteadyLoad.Capacity capacity = search.capacity(NO_QUEUE, 2000, 8000);

    assertThat(search.ran)
        .as("4,000 twice, then the bisection below it, each rate tried at most twice")
        .containsExactly(2000.0, 4000.0, 4000.0, 3000.0, 3500.0, 3750.0, 1875.0);
    assertThat(capacity.rate()).as("the capacity found").isEqualTo(3750);
  }

  @Test
  void everyTryOfEveryStepGoesToHostsNoEarlierTryTouched() throws Exception {
    // 4,000 starts behind once, and so does half of capacity (2,000): both are run once more.
    Scripted search =
        new Scripted(
            (rate, tries) -> {
              if ((rate == 4000 && tries == 0) || (rate == 2000 && tries == 1)) {
                return CAUGHT_UP;
              }
              return rate <= 4000 ? FLAT : FELL_BEHIND;
            });

    SteadyLoad.Capacity capacity = search.capacity(NO_QUEUE, 2000, 4000);

    assertThat(search.ran).containsExactly(2000.0, 4000.0, 4000.0, 2000.0, 2000.0);
    assertThat(search.firstHosts)
        .as("ten hosts of its own for each try: 2,000, 4,000 twice, half of capacity twice")
        .containsExactly(0, 10, 20, 30, 40);
    assertThat(capacity.rate()).isEqualTo(4000);
    assertThat(capacity.half().offered()).isEqualTo(2000);
  }

  @Test
  void aFirstRateThatFellBehindColdIsRunOnceMoreWarmAndTheSearchGoesOnFromIt() throws Exception {
    Scripted search =
        new Scripted(
            (rate, tries) -> {
              if (rate == 2000 && tries == 0) {
                return FELL_BEHIND;
              }
              return rate <= 5000 ? FLAT : FELL_BEHIND;
            });

    SteadyLoad.Capacity capacity = search.capacity(NO_QUEUE, 2000, 8000);

    assertThat(search.ran)
        .as("2,000 cold, then warm, then the doubling and the bisection as usual")
        .containsExactly(2000.0, 2000.0, 4000.0, 8000.0, 6000.0, 5000.0, 5500.0, 2500.0);
    assertThat(capacity.rate()).as("the capacity found").isEqualTo(5000);
  }

  @Test
  void aFirstRateThatDoesNotHoldEvenWarmIsHalvedUntilOneDoes() throws Exception {
    Scripted search = new Scripted((rate, tries) -> rate >= 1000 ? FELL_BEHIND : FLAT);

    SteadyLoad.Capacity capacity = search.capacity(NO_QUEUE, 2000, 8000);

    assertThat(search.ran)
        .as("2,000 twice, halved to 1,000 and 500, then the gap between 500 and 1,000 halved")
        .containsExactly(2000.0, 2000.0, 1000.0, 500.0, 750.0, 875.0, 937.0, 468.0);
    assertThat(capacity.rate()).as("the capacity found, not 0").isEqualTo(937);
    assertThat(capacity.half().offered()).as("half of it").isEqualTo(468);
  }

  @Test
  void aSearchThatFindsNoRateHoldingStopsAtASixteenthOfTheFirst() throws Exception {
    Scripted search = new Scripted((rate, tries) -> FELL_BEHIND);

    SteadyLoad.Capacity capacity = search.capacity(NO_QUEUE, 2000, 8000);

    assertThat(search.ran).containsExactly(2000.0, 2000.0, 1000.0, 500.0, 250.0, 125.0);
    assertThat(capacity.rate()).as("none held").isZero();
    assertThat(capacity.half()).as("no half of nothing").isNull();
  }
}
