package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.avro.Platform;
import dev.lineup.avro.ReasonCode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A store written by a version that indexed every lane's released activities: after {@link
 * StoredLayout#prepare} only the bypass lane's entries are left, once, and purge still ends what
 * each lane has in flight.
 */
class StoredLayoutTest {

  private static final long NOW = Instant.parse("2026-12-04T00:00:00Z").toEpochMilli();

  private final InMemorySortedStore store = InMemorySortedStore.withSectionBounds();
  private final RecordingOutbox outbox = new RecordingOutbox();
  private final List<LifecycleEvent> events = outbox.events;
  private final HostQueues queues = new HostQueues(store, QueueSettings.defaults(), outbox);
  private final GroupedKeys releasedIndex = new GroupedKeys(Section.RELEASED.of(store));

  @Test
  void theOrderedLanesEntriesAnOlderVersionWroteAreTakenOutOnceAndPurgeStillEndsThem() {
    queues.enqueue(script("h1", "script-1"), false, NOW);
    queues.enqueue(query("h1", "query-1"), false, NOW);
    assertThat(releasedIndex.members("h1"))
        .as("this version indexes the released bypass query, not the lane's holder")
        .containsExactly("query-1");
    // What an older version left: the default lane's holder, and an activity long gone.
    releasedIndex.add("h1", "script-1");
    releasedIndex.add("h2", "forgotten-long-ago");

    assertThat(StoredLayout.prepare(store)).as("done in one page").isTrue();

    assertThat(releasedIndex.members("h1")).containsExactly("query-1");
    assertThat(releasedIndex.members("h2")).isEmpty();
    assertThat(Section.LAYOUT.of(store).get(StoredLayout.RELEASED_BYPASS_ONLY)).isNotNull();

    // Once: a store already in this layout is not read through again.
    releasedIndex.add("h2", "written-after-the-change");
    StoredLayout.prepare(store);
    assertThat(releasedIndex.members("h2")).containsExactly("written-after-the-change");

    queues.purge("h1", NOW + 1);
    assertThat(ended("script-1")).as("the default lane's holder").isEqualTo(ReasonCode.HOST_PURGED);
    assertThat(ended("query-1")).as("the released bypass query").isEqualTo(ReasonCode.HOST_PURGED);
    assertThat(releasedIndex.members("h1")).isEmpty();
  }

  @Test
  void aLargeIndexIsTakenAPageAStepAndItsBypassEntriesSurvive() {
    queues.enqueue(query("host-3", "query-1"), false, NOW);
    for (int i = 0; i < 2 * StoredLayout.PAGE + 500; i++) {
      releasedIndex.add("host-" + (i % 7), "gone-" + i);
    }

    assertThat(prepareStepByStep(3)).isEqualTo(3);
    for (int h = 0; h < 7; h++) {
      assertThat(releasedIndex.members("host-" + h))
          .isEqualTo(h == 3 ? List.of("query-1") : List.of());
    }
  }

  @Test
  void aStepWhoseWritesAreDiscardedLeavesTheChangeToBeDoneAgain() {
    releasedIndex.add("h1", "gone");

    StagedStore failed = new StagedStore(store);
    assertThat(StoredLayout.prepare(failed)).isTrue();
    failed.discard();

    assertThat(releasedIndex.members("h1")).containsExactly("gone");
    assertThat(Section.LAYOUT.of(store).get(StoredLayout.RELEASED_BYPASS_ONLY)).isNull();
    assertThat(StoredLayout.prepare(store)).isTrue();
    assertThat(releasedIndex.members("h1")).isEmpty();
  }

  @Test
  void aReadyIndexWrittenBeforeEndBoundsGetsOneForEachClassAPageAStep() {
    ReadyIndex ready = new ReadyIndex(Section.READY.of(store));
    int classes = StoredLayout.PAGE + 200;
    for (int h = 0; h < classes; h++) {
      ready.addBound("host-" + h, Lane.DEFAULT, InitiatorKind.USER);
      // Every third class has no entry, so that pages end on bounds, entries and ends alike.
      if (h % 3 != 0) {
        ready.add("host-" + h, Lane.DEFAULT, InitiatorKind.USER, new byte[16], "a-" + h);
      }
    }
    queues.enqueue(script("h1", "script-1"), false, NOW);
    queues.enqueue(script("h1", "script-2"), false, NOW);
    // What a version before end bounds left: each class's bound and entries, no end.
    for (SortedStore.Entry e : Section.READY.of(store).scan(new byte[0], Integer.MAX_VALUE)) {
      if (ReadyIndex.isEnd(e.key())) {
        Section.READY.of(store).delete(e.key());
      }
    }
    assertThat(ends()).isZero();
    // What the build before left: the released index's change done, this one not begun.
    Section.LAYOUT.of(store).put(StoredLayout.RELEASED_BYPASS_ONLY, new byte[0]);
    // A step whose writes are discarded half way leaves its page to be read again.
    StagedStore failed = new StagedStore(store);
    assertThat(StoredLayout.prepare(failed)).isFalse();
    failed.discard();
    assertThat(ends()).isZero();

    // 2,002 keys, a thousand a step.
    assertThat(prepareStepByStep(4)).isEqualTo(3);

    assertThat(ends()).as("an end for each class").isEqualTo(classes + 1);
    assertThat(Section.LAYOUT.of(store).get(StoredLayout.READY_END_BOUNDS)).isNotNull();
    assertThat(ready.ids("host-7", Lane.DEFAULT, InitiatorKind.USER, 10)).containsExactly("a-7");
    assertThat(ready.ids("h1", Lane.DEFAULT, InitiatorKind.USER, 10)).containsExactly("script-2");
  }

  /**
   * Runs {@link StoredLayout#prepare} as the processor does, each step's writes staged and then
   * committed, until it is done; answers the number of steps, at most {@code most}.
   */
  private int prepareStepByStep(int most) {
    int steps = 0;
    boolean done = false;
    while (!done) {
      StagedStore step = new StagedStore(store);
      done = StoredLayout.prepare(step);
      step.commit();
      steps++;
      assertThat(steps).as("steps").isLessThanOrEqualTo(most);
    }
    return steps;
  }

  private long ends() {
    return Section.READY.of(store).scan(new byte[0], Integer.MAX_VALUE).stream()
        .filter(e -> ReadyIndex.isEnd(e.key()))
        .count();
  }

  @Test
  void anEntryWhoseActivityRecordNoLongerDecodesIsLeftAndTheRestIsDone() {
    releasedIndex.add("h1", "broken");
    releasedIndex.add("h1", "gone");
    Section.ACTIVITIES.of(store).put(KeyParts.id("broken"), new byte[] {1, 2, 3});

    assertThat(StoredLayout.prepare(store)).isTrue();

    assertThat(releasedIndex.members("h1")).containsExactly("broken");
  }

  @Test
  void theQueueViewListsAnEntryLeftBehindOnlyWhileItsActivityIsInFlight() {
    queues.enqueue(script("h1", "script-1"), false, NOW);
    queues.enqueue(script("h1", "script-2"), false, NOW);
    // An older version's entry for an activity now upcoming (say its id enqueued again).
    releasedIndex.add("h1", "script-2");

    QueueView.HostQueue view = new QueueView(store).host("h1", 10).orElseThrow();

    assertThat(view.inFlight()).extracting(QueueView.Item::activityId).containsExactly("script-1");
    assertThat(view.upcoming()).extracting(QueueView.Item::activityId).containsExactly("script-2");
  }

  private ReasonCode ended(String activityId) {
    return events.stream()
        .filter(e -> e.getActivityId().equals(activityId))
        .filter(e -> e.getState() == ActivityState.CANCELLED)
        .map(LifecycleEvent::getReason)
        .findFirst()
        .orElse(null);
  }

  private static Activity script(String host, String id) {
    return TestActivities.script(host, id, Instant.ofEpochMilli(NOW)).build();
  }

  private static Activity query(String host, String id) {
    return Activity.newBuilder(script(host, id))
        .setType(ActivityType.MDM_QUERY)
        .setChannel(Channel.MDM)
        .setLane(Lane.BYPASS)
        .setPayload(
            MdmCommandPayload.newBuilder()
                .setPlatform(Platform.APPLE)
                .setCommandUuid(id)
                .setRequestType("DeviceInformation")
                .setRawCommand(ByteBuffer.wrap(new byte[] {1}))
                .build())
        .build();
  }
}
