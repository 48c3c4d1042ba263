package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.avro.ResultKind;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rule 7 with one lease check per host ({@link HostChecks}): every lease still lapses at its own
 * time, whichever of the host's releases set the check, and a lease an older version gave a
 * deadline of its own keeps it.
 */
class LeaseChecksTest {

  private static final long NOW = Instant.parse("2026-12-05T00:00:00Z").toEpochMilli();

  private final InMemorySortedStore store = new InMemorySortedStore();
  private final RecordingOutbox outbox = new RecordingOutbox();
  private final HostQueues queues = new HostQueues(store, QueueSettings.defaults(), outbox);

  @Test
  void eachLeaseOfAHostLapsesAtItsOwnTime() {
    enqueue("long", Lane.BYPASS, 60_000, NOW);
    enqueue("short", Lane.BYPASS, 10_000, NOW);
    enqueue("ordered", Lane.DEFAULT, 30_000, NOW);

    queues.onTime(NOW + 9_999);
    assertThat(expired()).isEmpty();
    queues.onTime(NOW + 10_000);
    assertThat(expired()).containsExactly("short");
    queues.onTime(NOW + 29_999);
    assertThat(expired()).containsExactly("short");
    queues.onTime(NOW + 30_000);
    assertThat(expired()).containsExactly("short", "ordered");
    queues.onTime(NOW + 60_000);
    assertThat(expired()).containsExactly("short", "ordered", "long");
  }

  @Test
  void aHeartbeatMovesALeaseLaterThanTheCheckAndItLapsesThenNotBefore() {
    enqueue("a1", Lane.DEFAULT, 10_000, NOW);
    queues.onResult(heartbeat("a1", 60_000, NOW + 5_000), NOW + 5_000);

    queues.onTime(NOW + 10_000);
    assertThat(expired()).isEmpty();
    queues.onTime(NOW + 64_999);
    assertThat(expired()).isEmpty();
    queues.onTime(NOW + 65_000);
    assertThat(expired()).containsExactly("a1");
  }

  @Test
  void aCheckPutAsideIsSetAgainByTheHostsNextRelease() {
    enqueue("a1", Lane.BYPASS, 10_000, NOW);
    // What putting aside the host's due deadlines does (Tick): the check's key is gone, its time
    // still in the host record.
    new Deadlines(Section.DEADLINES.of(store))
        .delete(new Deadline(NOW + 10_000, Deadline.Kind.HOST_LEASES, "h1").key());
    queues.onTime(NOW + 20_000);
    assertThat(expired()).isEmpty();

    // Set again due at once: a1 does not wait for a2's lease.
    enqueue("a2", Lane.BYPASS, 10_000, NOW + 20_000);
    queues.onTime(NOW + 20_000);
    assertThat(expired()).containsExactly("a1");
    queues.onTime(NOW + 30_000);

    assertThat(expired()).containsExactly("a1", "a2");
  }

  @Test
  void aLeaseAnOlderVersionGaveItsOwnDeadlineLapsesByItAndItsResultTakesItOut() {
    enqueue("old", Lane.BYPASS, 10_000, NOW);
    enqueue("older", Lane.BYPASS, 10_000, NOW);
    // As a version before host lease checks left them: the lease indexed on its own, no check.
    for (String id : List.of("old", "older")) {
      OlderVersionState.ownDeadline(store, id, Deadline.Kind.LEASE, NOW + 10_000);
    }
    new Deadlines(Section.DEADLINES.of(store))
        .delete(new Deadline(NOW + 10_000, Deadline.Kind.HOST_LEASES, "h1").key());

    queues.onResult(TestActivities.succeeded("h1", "older", NOW + 1_000), NOW + 1_000);
    assertThat(leaseKey("older")).isNull();
    queues.onTime(NOW + 10_000);

    assertThat(expired()).containsExactly("old");
    assertThat(leaseKey("old")).isNull();
  }

  private void enqueue(String id, Lane lane, long timeoutMs, long at) {
    queues.enqueue(
        TestActivities.script("h1", id, Instant.ofEpochMilli(at))
            .setLane(lane)
            .setTimeoutMs(timeoutMs)
            .build(),
        false,
        at);
  }

  private static ActivityResult heartbeat(String id, long extensionMs, long at) {
    return ActivityResult.newBuilder(TestActivities.succeeded("h1", id, at))
        .setResultId("hb-" + id + "-" + at)
        .setKind(ResultKind.HEARTBEAT)
        .setExitCode(null)
        .setLeaseExtensionMs(extensionMs)
        .build();
  }

  private byte[] leaseKey(String id) {
    return Section.DEADLINES
        .of(store)
        .get(new Deadline(NOW + 10_000, Deadline.Kind.LEASE, id).key());
  }

  private List<String> expired() {
    return outbox.events.stream()
        .filter(e -> e.getState() == ActivityState.EXPIRED)
        .filter(e -> e.getReason() == ReasonCode.LEASE_EXPIRED)
        .map(LifecycleEvent::getActivityId)
        .toList();
  }
}
