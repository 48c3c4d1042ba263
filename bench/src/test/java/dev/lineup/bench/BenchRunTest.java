package dev.lineup.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bench is an instrument: a small run must complete with the contract checked (releases in the
 * order written, one in flight per host, every activity ended once, skipped ones cancelled) and
 * print the summary line. A violation makes the bench fail, and so this test.
 */
class BenchRunTest {

  @Test
  void aSmallRunKeepsTheContractAndPrintsTheComparison() {
    BenchOutput run =
        BenchOutput.run(
            "--hosts",
            "120",
            "--per-host",
            "5",
            "--partitions",
            "3",
            "--sql-workers",
            "2",
            "--http-requests",
            "50",
            "--warmup-runs",
            "0",
            "--timeline",
            "--skip-depth");
    int exit = run.exit();
    String out = run.out();

    assertThat(exit).as(out).isZero();
    // 120 hosts x 5, plus a preempting lock on hosts 7 and 107; hosts 3, 53 and 103 cancel one.
    assertThat(out).contains("lineup: 602 activities in");
    assertThat(out).contains("3 cancelled over HTTP, 2 hosts preempted by a lock");
    assertThat(out).containsPattern("sql-baseline: 600 activities in");
    // The Fleet-style queue ran the same 600 in order (a violation fails the run).
    assertThat(out).containsPattern("fleet-style-sql: 600 activities in");
    Matcher time =
        Pattern.compile(
                "sequencer stream threads \\(1\\): on a core (\\d+)% of the run, (\\d+) us of cpu"
                    + " per activity; Kafka Streams' ratios process (\\d+)% punctuate (\\d+)%"
                    + " poll (\\d+)% commit (\\d+)%; commit avg [0-9.]+ ms; input lag max \\d+"
                    + " records")
            .matcher(out);
    assertThat(time.find()).as("the sequencer's thread-time line").isTrue();
    assertThat(Integer.parseInt(time.group(1))).as("stream thread on a core").isBetween(1, 100);
    assertThat(Integer.parseInt(time.group(2))).as("stream thread cpu per activity").isPositive();
    int accounted = 0;
    for (int phase = 3; phase <= 6; phase++) {
      accounted += Integer.parseInt(time.group(phase));
    }
    assertThat(accounted).as("the thread's time split between its phases").isBetween(50, 105);
    Matcher cpu =
        Pattern.compile(
                "cpu: this process kept ([0-9.]+) of (\\d+) cores busy, (\\d+) us of cpu per"
                    + " activity; jit compiling [0-9.]+ s, gc [0-9.]+ s; the machine (\\d+)% busy")
            .matcher(out);
    assertThat(cpu.find()).as("the run's cpu line").isTrue();
    assertThat(Double.parseDouble(cpu.group(1)))
        .as("cores this process kept busy")
        .isGreaterThan(0)
        .isLessThanOrEqualTo(Integer.parseInt(cpu.group(2)) + 0.5);
    assertThat(Integer.parseInt(cpu.group(3))).as("cpu per activity").isPositive();
    assertThat(Integer.parseInt(cpu.group(4))).as("machine busy").isBetween(1, 100);
    // The timeline accounts for every activity once: accepted, and ended.
    Matcher halfSecond = Pattern.compile("(?m)^ +[0-9.]+ s +(\\d+) +(\\d+) +(\\d+)$").matcher(out);
    long[] totals = new long[3];
    while (halfSecond.find()) {
      for (int column = 0; column < 3; column++) {
        totals[column] += Long.parseLong(halfSecond.group(column + 1));
      }
    }
    assertThat(totals[0]).as("accepted over the timeline").isEqualTo(602);
    assertThat(totals[1]).as("released over the timeline").isBetween(500L, 602L);
    assertThat(totals[2]).as("ended over the timeline").isEqualTo(602);
    assertThat(out)
        .containsPattern(
            "lineup \\d+ act/s, sql-baseline \\d+ act/s, ratio [0-9.]+; handoff p99 lineup [0-9.]+"
                + " ms, sql [0-9.]+ ms\nfleet-style-sql \\d+ act/s, ratio [0-9.]+\n"
                + "cpu per activity, whole box: lineup \\d+ us, sql \\d+ us\n");
    // The whole box, split: PostgreSQL is a process of its own, the broker threads of this one.
    Matcher box =
        Pattern.compile(
                "lineup whole-box cpu: (\\d+) us per activity; by process (.*); this jvm's threads"
                    + " (.*)")
            .matcher(out);
    assertThat(box.find()).as("the whole-box line").isTrue();
    assertThat(Integer.parseInt(box.group(1))).isPositive();
    assertThat(box.group(2)).contains("this jvm").contains("postgres");
    assertThat(box.group(3)).contains("broker").contains("sequencer streams");
  }
}
