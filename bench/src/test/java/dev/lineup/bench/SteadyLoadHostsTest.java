package dev.lineup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Which hosts each step of a capacity search offers to: every step, half of capacity included, on
 * hosts of its own that no earlier step touched, so that it measures its rate and not what the
 * steps before it (overloaded ones above all) left in the queue's store.
 */
class SteadyLoadHostsTest {

  /** A queue that releases each offer at once and answers it: every rate is sustained. */
  private static final class AnswersAtOnce implements SteadyLoad.Target {
    final List<Integer> offeredTo = new CopyOnWriteArrayList<>();
    private SteadyLoad.Meter meter;

    @Override
    public String name() {
      return "answers-at-once";
    }

    @Override
    public String host(int h) {
      return "host-" + h;
    }

    @Override
    public void start(SteadyLoad.Meter meter) {
      this.meter = meter;
    }

    @Override
    public void offer(int host, int k, String id) {
      offeredTo.add(host);
      meter.released(host(host), id, System.nanoTime());
      meter.answered(host(host), System.nanoTime());
    }

    @Override
    public void close() {}
  }

  @Test
  void everyStepRunsOnHostsNoEarlierStepTouched() throws Exception {
    int hosts = 4;
    AnswersAtOnce target = new AnswersAtOnce();
    // Windows long enough that offers in pairs always reach 95 % of the rate, on a busy box too.
    SteadyLoad load = new SteadyLoad(hosts, Duration.ofMillis(200), Duration.ofMillis(1500), null);

    SteadyLoad.Capacity capacity = load.capacity(target, 100, 200);

    assertThat(capacity.rate()).as("both rates held").isEqualTo(200);
    assertThat(capacity.half()).as("a half-capacity step ran").isNotNull();
    // 100 act/s, 200 act/s, then half of capacity (100): three steps, in that order.
    List<Integer> steps = new ArrayList<>();
    Map<Integer, Set<Integer>> hostsOfStep = new TreeMap<>();
    for (int h : target.offeredTo) {
      int step = h / hosts;
      int last = steps.isEmpty() ? -1 : steps.get(steps.size() - 1);
      if (last != step) {
        steps.add(step);
      }
      hostsOfStep.computeIfAbsent(step, s -> new TreeSet<>()).add(h);
    }
    assertThat(steps)
        .as("each step's offers on a set of its own, one set after another")
        .containsExactly(0, 1, 2);
    assertThat(hostsOfStep)
        .as("every host of each set offered to")
        .containsEntry(0, Set.of(0, 1, 2, 3))
        .containsEntry(1, Set.of(4, 5, 6, 7))
        .containsEntry(2, Set.of(8, 9, 10, 11));
  }
}
