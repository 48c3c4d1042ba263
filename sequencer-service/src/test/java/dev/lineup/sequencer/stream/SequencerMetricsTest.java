package dev.lineup.sequencer.stream;

import static dev.lineup.sequencer.stream.SequencerHarness.script;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ReleasedActivity;
import dev.lineup.sequencer.queue.QueueSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the sequencer counts ({@link SequencerMetrics}), on the whole topology. */
class SequencerMetricsTest {

  @Test
  void releasesEventsHandOffsAndLeaseExpiriesAreCountedByTypeStateAndReason() {
    try (var q = new SequencerHarness(QueueSettings.defaults())) {
      var registry = q.registry;
      q.enqueue(script("h1", "a"));
      q.enqueue(script("h1", "b"));
      q.enqueue(script("h1", "silent").setTimeoutMs(60_000L));
      ReleasedActivity a = only(q.releases());

      q.advance(Duration.ofSeconds(1));
      q.succeed(a);
      ReleasedActivity b = only(q.releases());
      q.fail(b);
      only(q.releases());
      q.advance(Duration.ofSeconds(61));

      assertThat(registry.get("lineup.releases").tag("type", "SCRIPT_RUN").counter().count())
          .isEqualTo(3);
      assertThat(registry.get("lineup.retries").tag("type", "SCRIPT_RUN").counter().count())
          .isZero();
      assertThat(
              registry
                  .get("lineup.lifecycle.events")
                  .tags("state", "QUEUED", "type", "SCRIPT_RUN", "reason", "ACCEPTED")
                  .counter()
                  .count())
          .isEqualTo(3);
      assertThat(
              registry
                  .get("lineup.lifecycle.events")
                  .tags("state", "SUCCEEDED", "type", "SCRIPT_RUN")
                  .counter()
                  .count())
          .isEqualTo(1);
      assertThat(
              registry
                  .get("lineup.lifecycle.events")
                  .tags("state", "FAILED", "type", "SCRIPT_RUN")
                  .counter()
                  .count())
          .isEqualTo(1);
      assertThat(registry.get("lineup.lease.expiries").tag("type", "SCRIPT_RUN").counter().count())
          .isEqualTo(1);
      // Two results each let the next activity go: two hand-offs; the first release was none.
      var handoff = registry.get("lineup.handoff").timer();
      assertThat(handoff.count()).isEqualTo(2);
      // Each result let the next activity go in its own step, at the time it was written: the
      // hand-off is measured from that time, not from the earlier one ResultsFirst reads it as.
      assertThat(handoff.max(TimeUnit.MILLISECONDS)).isBetween(0.0, 1_000.0);
    }
  }

  @Test
  void aRecordWhoseStepThrowsCountsNothingButItsDeadLetter() {
    try (var q = new SequencerHarness(QueueSettings.defaults())) {
      var dead = q.registry.get("lineup.dead.letters").functionCounter();
      double before = dead.count();
      q.poisonCommand("h1");
      assertThat(dead.count()).isEqualTo(before + 1);
      assertThat(q.registry.find("lineup.lifecycle.events").counters()).isEmpty();
      assertThat(q.registry.get("lineup.releases").counters())
          .allSatisfy(c -> assertThat(c.count()).isZero());
    }
  }

  private static ReleasedActivity only(List<ReleasedActivity> releases) {
    assertThat(releases).hasSize(1);
    return releases.get(0);
  }
}
