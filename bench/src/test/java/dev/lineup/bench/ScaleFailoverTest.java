package dev.lineup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The scale run, small, with its failover: the state taken in, restored by a fresh instance, copied
 * by a second instance as standbys, and every task run by that one once the other is gone without
 * leaving its group. How fast is for a bench run on a quiet machine (docs/BENCHMARKS.md).
 */
class ScaleFailoverTest {

  @Test
  void theSurvivorRunsEveryTaskAfterTheOtherInstanceStops() {
    BenchOutput run =
        BenchOutput.run(
            "--scale", "300", "--scale-per-host", "5", "--partitions", "3", "--scale-failover");

    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.out()).contains("scale: wrote 1800 commands");
    assertThat(run.out()).containsPattern("a fresh instance restored \\d+ store records");
    assertThat(run.out()).contains("failover: a second instance copied every task's state");
    Matcher takeover =
        Pattern.compile(
                "failover: the survivor runs all (\\d+) tasks \\((\\d+) taken over from its"
                    + " standbys\\) [0-9.]+ s after the other instance stopped without leaving the"
                    + " group \\(its loss noticed after ([0-9.]+) s")
            .matcher(run.out());
    assertThat(takeover.find()).as(run.out()).isTrue();
    assertThat(Integer.parseInt(takeover.group(1))).isEqualTo(3);
    assertThat(Integer.parseInt(takeover.group(2))).isBetween(2, 3);
    // A member that stopped without leaving is noticed only when its session lapses (6 s).
    assertThat(Double.parseDouble(takeover.group(3))).isGreaterThan(2.0);
  }
}
