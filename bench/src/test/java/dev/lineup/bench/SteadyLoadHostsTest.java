package dev.lineup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Which hosts each step of a capacity search offers to: the search's rates share one set of hosts,
 * and half of capacity runs on as many again that the search never touched, so that it measures the
 * rate and not what the steps above it (overloaded ones above all) left in the queue's store.
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
  void halfOfCapacityRunsOnHostsTheSearchNeverTouched() throws Exception {
    int hosts = 4;
    AnswersAtOnce target = new AnswersAtOnce();
    // Windows long enough that offers in pairs always reach 95 % of the rate, on a busy box too.
    SteadyLoad load = new SteadyLoad(hosts, Duration.ofMillis(200), Duration.ofMillis(1500), null);

    SteadyLoad.Capacity capacity = load.capacity(target, 100, 200);

    assertThat(capacity.half()).as("a half-capacity step ran").isNotNull();
    List<Integer> offered = target.offeredTo;
    assertThat(offered).as("hosts offered to").anyMatch(h -> h >= hosts);
    int firstFresh = offered.indexOf(offered.stream().filter(h -> h >= hosts).findFirst().get());
    assertThat(offered.subList(0, firstFresh).stream().distinct().sorted().toList())
        .as("the search's steps, all on the first hosts")
        .containsExactly(0, 1, 2, 3);
    assertThat(offered.subList(firstFresh, offered.size()).stream().distinct().sorted().toList())
        .as("half of capacity, only on hosts the search never touched")
        .containsExactly(4, 5, 6, 7);
  }
}
