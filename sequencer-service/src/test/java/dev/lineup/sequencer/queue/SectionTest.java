package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SectionTest {

  private final InMemorySortedStore whole = new InMemorySortedStore();
  private final SortedStore hosts = Section.HOSTS.of(whole);
  private final SortedStore activities = Section.ACTIVITIES.of(whole);
  private final SortedStore payloads = Section.PAYLOADS.of(whole);
  private final SortedStore upcoming = Section.UPCOMING.of(whole);
  private final SortedStore ready = Section.READY.of(whole);
  private final SortedStore released = Section.RELEASED.of(whole);
  private final SortedStore budgetWaits = Section.BUDGET_WAITS.of(whole);
  private final SortedStore deadlines = Section.DEADLINES.of(whole);

  @Test
  void theSameKeyInTwoSectionsIsTwoEntries() {
    hosts.put(bytes("h1"), bytes("host"));
    activities.put(bytes("h1"), bytes("activity"));

    assertThat(hosts.get(bytes("h1"))).isEqualTo(bytes("host"));
    assertThat(activities.get(bytes("h1"))).isEqualTo(bytes("activity"));
    assertThat(payloads.get(bytes("h1"))).isNull();
    assertThat(whole.size()).isEqualTo(2);

    hosts.delete(bytes("h1"));
    assertThat(activities.get(bytes("h1"))).isEqualTo(bytes("activity"));
  }

  @Test
  void aScanOfEverythingInASectionSeesOnlyThatSection() {
    upcoming.put(bytes("a"), bytes("1"));
    upcoming.put(bytes("b"), bytes("2"));
    ready.put(bytes("a"), bytes("other section, sorts before"));
    released.put(bytes("a"), bytes("other section, sorts after"));

    assertThat(keys(upcoming.scan(new byte[0], 10))).containsExactly("a", "b");
  }

  @Test
  void prefixScansAndRangesReturnTheCallersKeysWithoutTheTag() {
    ready.put(bytes("host-1/x"), new byte[0]);
    ready.put(bytes("host-1/y"), new byte[0]);
    ready.put(bytes("host-2/x"), new byte[0]);
    upcoming.put(bytes("host-1/z"), new byte[0]);

    assertThat(keys(ready.scan(bytes("host-1/"), 10))).containsExactly("host-1/x", "host-1/y");
    assertThat(keys(ready.range(bytes("host-1/y"), bytes("host-2/y"), 10)))
        .containsExactly("host-1/y", "host-2/x");
    assertThat(keys(ready.range(bytes("host-1/"), bytes("host-1/~"), 1)))
        .containsExactly("host-1/x");
  }

  @Test
  void readsFromASectionsStartSkipItsBoundAndStillFillTheirLimit() {
    Section.writeBounds(whole);
    assertThat(whole.size())
        .as("two bounds before each of the twelve sections and after the last")
        .isEqualTo(2 * (Section.values().length + 1))
        .isEqualTo(26);
    budgetWaits.put(bytes("a"), new byte[0]);
    budgetWaits.put(bytes("b"), new byte[0]);

    assertThat(keys(budgetWaits.scan(new byte[0], 1))).containsExactly("a");
    assertThat(keys(budgetWaits.scan(new byte[0], Integer.MAX_VALUE))).containsExactly("a", "b");
    assertThat(keys(budgetWaits.range(new byte[0], bytes("z"), 2))).containsExactly("a", "b");
    assertThat(deadlines.scan(new byte[0], 10)).isEmpty();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> keys(List<SortedStore.Entry> entries) {
    return entries.stream().map(e -> new String(e.key(), StandardCharsets.UTF_8)).toList();
  }
}
