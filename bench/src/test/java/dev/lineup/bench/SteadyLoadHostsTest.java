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
import java.util.stream.Collectors;
import java.util.stream.IntStream;
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

    assertThat(capacity.half()).as("a half-capacity step ran").isNotNull();
    // Each try's offers, in order: the sets of hosts they went to (host / hosts), one after
    // another.
    List<Integer> sets = new ArrayList<>();
    Map<Integer, Set<Integer>> hostsOfSet = new TreeMap<>();
    for (int h : target.offeredTo) {
      int set = h / hosts;
      int last = sets.isEmpty() ? -1 : sets.get(sets.size() - 1);
      if (last != set) {
        sets.add(set);
      }
      hostsOfSet.computeIfAbsent(set, k -> new TreeSet<>()).add(h);
    }
    // At least 100 act/s, 200 act/s and half of capacity; more if a window fell short on a busy
    // box.
    assertThat(sets.size()).as("tries").isGreaterThanOrEqualTo(3);
    assertThat(sets)
        .as("each try on a set of its own, never one an earlier try used")
        .isEqualTo(IntStream.range(0, sets.size()).boxed().toList());
    hostsOfSet.forEach(
        (set, offered) ->
            assertThat(offered)
                .as("set %d: all its hosts offered to, and no other", set)
                .isEqualTo(
                    IntStream.range(set * hosts, (set + 1) * hosts)
                        .boxed()
                        .collect(Collectors.toSet())));
  }
}
