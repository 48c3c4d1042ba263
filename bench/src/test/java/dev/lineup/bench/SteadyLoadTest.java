package dev.lineup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The steady-state mode after a small burst: rates offered open loop to Lineup and to both SQL
 * queues, each step reported, the search's answer in the comparison line. What rates a box sustains
 * is for a bench run (docs/BENCHMARKS.md), not a test: here only that 50 activities a second over
 * 40 hosts is sustained by each, which any machine that runs the suite manages.
 */
class SteadyLoadTest {

  @Test
  void offersRatesOpenLoopAndReportsEachQueuesSustainedCapacity() {
    BenchOutput run =
        BenchOutput.run(
            "--steady",
            "--hosts",
            "40",
            "--per-host",
            "5",
            "--warmup-runs",
            "0",
            "--http-requests",
            "20",
            "--skip-depth",
            "--partitions",
            "3",
            "--sql-workers",
            "2",
            "--steady-warmup-seconds",
            "2",
            "--steady-seconds",
            "4",
            "--steady-start-rate",
            "50",
            "--steady-max-rate",
            "50");
    int exit = run.exit();
    String out = run.out();

    assertThat(exit).as(out).isZero();
    for (String queue : new String[] {"lineup", "sql-baseline", "fleet-style-sql"}) {
      Matcher step =
          Pattern.compile(
                  "steady "
                      + queue
                      + " @ 50 act/s offered: achieved (\\d+) act/s, handoff p50 [0-9.]+ ms p99"
                      + " [0-9.]+ ms \\(\\d+\\), enqueue-to-release p99 [0-9.]+ ms, backlog (\\d+) ->"
                      + " \\d+, sustained")
              .matcher(out);
      assertThat(step.find()).as("%s sustained 50 act/s", queue).isTrue();
      // Open loop: what was offered is what ran, give or take the window's edges, plus the little
      // a sustained window may start with (at most a second of arrivals, or 200).
      int leftByWarmUp = Integer.parseInt(step.group(2)) / 4;
      assertThat(Integer.parseInt(step.group(1)))
          .as("%s achieved", queue)
          .isBetween(45, 55 + leftByWarmUp);
    }
    assertThat(out)
        .containsPattern(
            "steady capacity fleet-style-sql 50 act/s; handoff p99 at half capacity [0-9.]+ ms");
    // Each window's whole-box CPU, and the figure at capacity, where no queue still pays the JIT.
    assertThat(out)
        .containsPattern("\n  steady lineup whole-box cpu: \\d+ us per activity; by process");
    // The in-process broker's requests, by type and by the client that sent them: intake's Kafka
    // front door commits a transaction for what it gathered.
    assertThat(out)
        .containsPattern(
            "\n  steady lineup broker requests per activity: [^\n]*Produce [0-9.]+[^\n]*EndTxn"
                + " [0-9.]+[^\n]*; by client [^\n]*producer producer-lineup-intake-front-door"
                + "[^\n]*; records by topic [^\n]*sequencer-queue-changelog [0-9.]+");
    Matcher cpu =
        Pattern.compile(
                "\ncpu per activity at steady capacity, whole box: lineup (\\d+) us, sql (\\d+) us\n")
            .matcher(out);
    assertThat(cpu.find()).as(out).isTrue();
    assertThat(Integer.parseInt(cpu.group(1))).as("lineup's cpu per activity, steady").isPositive();
    assertThat(Integer.parseInt(cpu.group(2))).as("sql's cpu per activity, steady").isPositive();
    // The burst's and the steady state's comparisons close the run, in this order. Offers come in
    // pairs, so even half of 50 act/s has hand-offs to measure: no "n/a".
    assertThat(out)
        .containsPattern(
            "\nlineup \\d+ act/s, sql-baseline \\d+ act/s, ratio [0-9.]+; handoff p99 lineup"
                + " [0-9.]+ ms, sql [0-9.]+ ms\n"
                + "fleet-style-sql \\d+ act/s, ratio [0-9.]+\n"
                + "steady capacity lineup 50 act/s, sql 50 act/s; handoff p99 at half capacity"
                + " lineup [0-9.]+ ms, sql [0-9.]+ ms\n"
                + "cpu per activity, whole box: lineup \\d+ us, sql \\d+ us\n$");
  }
}
