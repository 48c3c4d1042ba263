package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each key layout is read back by the class that writes it, and sorts as its readers expect. */
class KeyLayoutsTest {

  private final InMemorySortedStore store = InMemorySortedStore.withSectionBounds();

  @Test
  void aDeadlineReadsBackFromItsKeyAndDeadlinesSortByTime() {
    Deadline early = new Deadline(-5, Deadline.Kind.FORGET, "a-much-longer-id");
    Deadline late = new Deadline(1_000, Deadline.Kind.LEASE, "a");

    assertThat(Deadline.of(early.key())).isEqualTo(early);
    assertThat(Deadline.of(late.key())).isEqualTo(late);
    assertThat(Arrays.compareUnsigned(early.key(), late.key())).isNegative();
    assertThat(Arrays.compareUnsigned(late.key(), Deadline.firstKeyAt(1_001))).isNegative();
  }

  @Test
  void aKeyThatIsNoDeadlineReadsAsNone() {
    assertThat(Deadline.of(new byte[] {1, 2, 3})).isNull();
    byte[] unknownKind = new Deadline(0, Deadline.Kind.LEASE, "a").key();
    unknownKind[8] = 99;
    assertThat(Deadline.of(unknownKind)).isNull();
  }

  @Test
  void theUpcomingIndexAnswersIdsInAcceptanceOrderAndHostsInKeyOrder() {
    UpcomingIndex upcoming = new UpcomingIndex(Section.UPCOMING.of(store));
    upcoming.add("host-b", 2, "b2");
    upcoming.add("host-b", 1, "b1");
    upcoming.add("h-a", 7, "a7");

    assertThat(upcoming.ids("host-b", 10)).containsExactly("b1", "b2");
    assertThat(upcoming.firstHostAfter(null)).contains("h-a");
    assertThat(upcoming.firstHostAfter("h-a")).contains("host-b");
    assertThat(upcoming.firstHostAfter("host-b")).isEmpty();
  }

  @Test
  void theReadyIndexAnswersEachClassInRankOrderWithItsHeadsRank() {
    ReadyIndex ready = new ReadyIndex(Section.READY.of(store));
    byte[] second = Ranking.PRIORITY.key(0, 0, 2, Duration.ofMinutes(1));
    byte[] first = Ranking.PRIORITY.key(5, 0, 3, Duration.ofMinutes(1));
    ready.addBound("h", Lane.DEFAULT, InitiatorKind.USER);
    ready.add("h", Lane.DEFAULT, InitiatorKind.USER, second, "second");
    ready.add("h", Lane.DEFAULT, InitiatorKind.USER, first, "first");
    ready.add("h", Lane.DEFAULT, InitiatorKind.SYSTEM, first, "system");

    ReadyIndex.Head head = ready.first("h", Lane.DEFAULT, InitiatorKind.USER).orElseThrow();
    assertThat(head.activityId()).isEqualTo("first");
    assertThat(head.rank()).isEqualTo(first);
    assertThat(ready.ids("h", Lane.DEFAULT, InitiatorKind.USER, 10))
        .containsExactly("first", "second");
    assertThat(ready.first("h", Lane.SETUP, InitiatorKind.USER)).isEmpty();
    StringBuilder entries = new StringBuilder();
    ready.forEachEntry(
        "h", (lane, initiator) -> entries.append(lane).append('/').append(initiator));
    assertThat(entries.toString()).isEqualTo("DEFAULT/USERDEFAULT/USERDEFAULT/SYSTEM");
  }

  @Test
  void aReadyClassEndsAtALiveBoundAfterEveryEntryItCanHoldAndBeforeTheNextClass() {
    ReadyIndex ready = new ReadyIndex(Section.READY.of(store));
    byte[] lastRank = new byte[Ranking.KEY_LENGTH];
    Arrays.fill(lastRank, (byte) 0xFF);
    ready.addBound("h", Lane.DEFAULT, InitiatorKind.USER);
    ready.addBound("h", Lane.DEFAULT, InitiatorKind.SYSTEM);
    ready.addBound("i", Lane.DEFAULT, InitiatorKind.USER);
    // The last keys a class can hold: the highest rank, a one-byte id, an id of the highest code
    // point (UTF-8 never has a 0xFF byte).
    ready.add("h", Lane.DEFAULT, InitiatorKind.USER, lastRank, "z");
    ready.add("h", Lane.DEFAULT, InitiatorKind.USER, lastRank, "\uDBFF\uDFFF");
    ready.add("h", Lane.DEFAULT, InitiatorKind.SYSTEM, lastRank, "system");
    ready.add("i", Lane.DEFAULT, InitiatorKind.USER, new byte[Ranking.KEY_LENGTH], "next-host");

    assertThat(ready.ids("h", Lane.DEFAULT, InitiatorKind.USER, 10))
        .containsExactly("z", "\uDBFF\uDFFF");
    assertThat(ready.first("h", Lane.DEFAULT, InitiatorKind.SYSTEM).orElseThrow().activityId())
        .isEqualTo("system");
    StringBuilder entries = new StringBuilder();
    ready.forEachEntry("h", (lane, initiator) -> entries.append(initiator).append(' '));
    assertThat(entries.toString())
        .as("bounds and ends are no entries")
        .isEqualTo("USER USER SYSTEM ");

    // In key order: each class's bound, its entries, its end; then the next class's bound.
    List<String> layout = new ArrayList<>();
    for (SortedStore.Entry e : Section.READY.of(store).scan(new byte[0], 100)) {
      layout.add(
          ReadyIndex.isEnd(e.key()) ? "end" : ReadyIndex.isBound(e.key()) ? "bound" : "entry");
    }
    assertThat(layout)
        .containsExactly(
            "bound", "entry", "entry", "end", "bound", "entry", "end", "bound", "entry", "end");

    ready.removeBound("h", Lane.DEFAULT, InitiatorKind.USER);
    assertThat(Section.READY.of(store).scan(new byte[0], 100)).hasSize(8);
  }

  @Test
  void budgetWaitsReadBackTheirHostAndLaneAndTakeTurns() {
    BudgetWaits waits = new BudgetWaits(Section.BUDGET_WAITS.of(store));
    waits.add("h1", Lane.SETUP);
    waits.add("h2", Lane.DEFAULT);

    BudgetWaits.HostLane first = waits.next(1).get(0);
    assertThat(first.hostId()).isEqualTo("h1");
    assertThat(first.lane()).isEqualTo(Lane.SETUP);
    waits.served(first);
    assertThat(waits.next(2)).extracting(BudgetWaits.HostLane::hostId).containsExactly("h2", "h1");
  }

  @Test
  void groupedKeysKeepEachGroupsMembersApart() {
    GroupedKeys grouped = new GroupedKeys(Section.DEPENDENTS.of(store));
    grouped.add("a", "x");
    grouped.add("a", "y");
    grouped.add("ab", "z");
    grouped.insert("b", "key", "holder");

    assertThat(grouped.members("a")).containsExactly("x", "y");
    assertThat(grouped.get("b", "key")).isEqualTo("holder");
    assertThat(grouped.take("a")).containsExactly("x", "y");
    assertThat(grouped.members("a")).isEmpty();
    assertThat(grouped.members("ab")).containsExactly("z");
  }
}
