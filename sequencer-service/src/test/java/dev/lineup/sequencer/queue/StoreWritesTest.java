package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityType;
import dev.lineup.sequencer.state.ActivityRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What one activity writes to its task's store, section by section, each step staged and committed
 * as the processor runs it: every write reaching the store is a RocksDB write and a changelog
 * record through the broker and into the standby, so these counts are the sequencer's cost per
 * activity (docs/BENCHMARKS.md).
 */
class StoreWritesTest {

  private static final long NOW = Instant.parse("2026-12-05T00:00:00Z").toEpochMilli();
  private static final QueueSettings SETTINGS = QueueSettings.defaults();
  private static final long LEASE = SETTINGS.lease(ActivityType.SCRIPT_RUN).toMillis();

  private final RecordingSortedStore store = new RecordingSortedStore();
  private final StagedStore staged = new StagedStore(store);
  private final RecordingOutbox outbox = new RecordingOutbox();
  private final HostQueues queues = new HostQueues(staged, SETTINGS, outbox);

  @Test
  void anActivityReleasedInTheStepThatQueuedItWritesSevenRecordsInItsWholeLife() {
    // The host's first activity also writes its ready class's bound, once; an hour earlier, so
    // that it is forgotten on its own.
    long hourBefore = NOW - Duration.ofHours(1).toMillis();
    step(() -> queues.enqueue(script("h1", "warm-up"), false, hourBefore));
    step(() -> queues.onResult(succeeded("h1", "warm-up"), hourBefore));
    step(() -> queues.onTime(forgetTime(hourBefore)));

    // The host's first release in a while sets its lease check (HostChecks), once.
    assertThat(step(() -> queues.enqueue(script("h1", "a0"), false, NOW)))
        .isEqualTo(Map.of("hosts put", 1, "activities put", 1, "deadlines put", 1));
    step(() -> queues.onResult(succeeded("h1", "a0"), NOW + 10));

    // Queued and released at once, its lease within the check already set: no upcoming, ready,
    // stale or lease entry, no payload.
    assertThat(step(() -> queues.enqueue(script("h1", "a1"), false, NOW + 20)))
        .isEqualTo(Map.of("hosts put", 1, "activities put", 1));
    // Its result: the forget deadline in, the record and the host.
    assertThat(step(() -> queues.onResult(succeeded("h1", "a1"), NOW + 30)))
        .isEqualTo(Map.of("hosts put", 1, "activities put", 1, "deadlines put", 1));
    // The check, due a lease after a0's release, finds nothing released and is not set again.
    assertThat(step(() -> queues.onTime(NOW + LEASE + 1)))
        .isEqualTo(Map.of("hosts put", 1, "deadlines delete", 1));
    // Forgotten a day later, with a0.
    assertThat(step(() -> queues.onTime(forgetTime(NOW + 30))))
        .isEqualTo(Map.of("activities delete", 2, "deadlines delete", 2));
  }

  @Test
  void aDedupeKeyHeldOnlyWithinTheStepThatQueuedAndReleasedItsActivityIsNeverWritten() {
    step(() -> queues.enqueue(script("h1", "a0"), false, NOW));
    step(() -> queues.onResult(succeeded("h1", "a0"), NOW + 10));

    assertThat(step(() -> queues.enqueue(withDedupeKey("h1", "a1", "inventory"), false, NOW + 20)))
        .as("queued and released at once: its key is free again, and no entry reached the store")
        .isEqualTo(Map.of("hosts put", 1, "activities put", 1));

    assertThat(step(() -> queues.enqueue(withDedupeKey("h1", "a2", "inventory"), false, NOW + 30)))
        .as("queued behind a1: it holds the key until its release")
        .containsEntry("dedupe put", 1);
    assertThat(Section.DEDUPE.of(store).scan(new byte[0], 10))
        .as("the entry of the key a2 holds")
        .singleElement()
        .satisfies(e -> assertThat(KeyParts.id(e.value())).isEqualTo("a2"));
  }

  @Test
  void anActivityAcceptedByThisVersionIsNotLookedForItsPayloadWhenItEnds() {
    step(() -> queues.enqueue(script("h1", "a1"), false, NOW));
    store.reads.clear();

    step(() -> queues.onResult(succeeded("h1", "a1"), NOW + 10));

    assertThat(store.reads)
        .as("point reads of the payloads section")
        .noneMatch(key -> Section.values()[key[0] - 1] == Section.PAYLOADS);
  }

  @Test
  void aPayloadAnOlderVersionKeptPastTheLastReleaseGoesWhenItsActivityEnds() {
    step(() -> queues.enqueue(script("h1", "a1"), false, NOW));
    // What a version that kept payloads until the end left for the activity it released: the
    // payload, and a record without the flag, read as true.
    Section.PAYLOADS.of(store).put(KeyParts.id("a1"), new byte[] {1});
    ActivityRecord old = StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id("a1")));
    old.setPayloadMayOutliveRelease(true);
    Section.ACTIVITIES.of(store).put(KeyParts.id("a1"), StateCodec.encode(old));

    assertThat(step(() -> queues.onResult(succeeded("h1", "a1"), NOW + 10)))
        .containsEntry("payloads delete", 1);
    assertThat(Section.PAYLOADS.of(store).get(KeyParts.id("a1"))).isNull();
  }

  @Test
  void anActivityQueuedBehindAnotherIndexesItselfUntilItsRelease() {
    step(() -> queues.enqueue(script("h1", "a1"), false, NOW));
    // The host's first activity that waits sets its stale check (HostChecks), once.
    assertThat(step(() -> queues.enqueue(script("h1", "a2"), false, NOW)))
        .containsEntry("deadlines put", 1);

    assertThat(step(() -> queues.enqueue(script("h1", "a3"), false, NOW)))
        .as(
            "queued: record (its payload inside), upcoming and ready entries, host; no stale"
                + " deadline")
        .isEqualTo(
            Map.of(
                "hosts put", 1,
                "activities put", 1,
                "upcoming put", 1,
                "ready put", 1));
    assertThat(step(() -> queues.onResult(succeeded("h1", "a1"), NOW + 10)))
        .as(
            "a1 ends (its forget deadline in), a2 is released: its entries go, its record drops"
                + " its payload (its last attempt); the host's lease check watches its lease")
        .isEqualTo(
            Map.of(
                "hosts put", 1,
                "activities put", 2,
                "upcoming delete", 1,
                "ready delete", 1,
                "deadlines put", 1));
  }

  private static long forgetTime(long finishedAt) {
    return finishedAt + SETTINGS.finishedRetention().plus(Duration.ofMinutes(1)).toMillis();
  }

  /** Runs one step, commits it, and answers its writes counted by section and kind. */
  private Map<String, Integer> step(Runnable step) {
    store.writes.clear();
    step.run();
    staged.commit();
    Map<String, Integer> counts = new TreeMap<>();
    for (RecordingSortedStore.Write w : store.writes) {
      String section = Section.values()[w.key()[0] - 1].name().toLowerCase().replace('_', ' ');
      counts.merge(section + (w.deletion() ? " delete" : " put"), 1, Integer::sum);
    }
    return counts;
  }

  private static Activity script(String host, String id) {
    return TestActivities.script(host, id, Instant.ofEpochMilli(NOW)).build();
  }

  private static Activity withDedupeKey(String host, String id, String dedupeKey) {
    return TestActivities.script(host, id, Instant.ofEpochMilli(NOW))
        .setDedupeKey(dedupeKey)
        .build();
  }

  private static ActivityResult succeeded(String host, String id) {
    return TestActivities.succeeded(host, id, NOW);
  }
}
