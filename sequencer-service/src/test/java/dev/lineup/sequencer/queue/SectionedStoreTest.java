package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SectionedStoreTest {

  private final InMemorySortedStore whole = new InMemorySortedStore();
  private final QueueStores stores = QueueStores.sectionsOf(whole);

  @Test
  void theSameKeyInTwoSectionsIsTwoEntries() {
    stores.hosts().put(bytes("h1"), bytes("host"));
    stores.activities().put(bytes("h1"), bytes("activity"));

    assertThat(stores.hosts().get(bytes("h1"))).isEqualTo(bytes("host"));
    assertThat(stores.activities().get(bytes("h1"))).isEqualTo(bytes("activity"));
    assertThat(stores.payloads().get(bytes("h1"))).isNull();
    assertThat(whole.size()).isEqualTo(2);

    stores.hosts().delete(bytes("h1"));
    assertThat(stores.activities().get(bytes("h1"))).isEqualTo(bytes("activity"));
  }

  @Test
  void aScanOfEverythingInASectionSeesOnlyThatSection() {
    stores.upcoming().put(bytes("a"), bytes("1"));
    stores.upcoming().put(bytes("b"), bytes("2"));
    stores.ready().put(bytes("a"), bytes("other section, sorts before"));
    stores.released().put(bytes("a"), bytes("other section, sorts after"));

    assertThat(keys(stores.upcoming().scan(new byte[0], 10))).containsExactly("a", "b");
  }

  @Test
  void prefixScansAndRangesReturnTheCallersKeysWithoutTheTag() {
    stores.ready().put(bytes("host-1/x"), new byte[0]);
    stores.ready().put(bytes("host-1/y"), new byte[0]);
    stores.ready().put(bytes("host-2/x"), new byte[0]);
    stores.upcoming().put(bytes("host-1/z"), new byte[0]);

    assertThat(keys(stores.ready().scan(bytes("host-1/"), 10)))
        .containsExactly("host-1/x", "host-1/y");
    assertThat(keys(stores.ready().range(bytes("host-1/y"), bytes("host-2/y"), 10)))
        .containsExactly("host-1/y", "host-2/x");
    assertThat(keys(stores.ready().range(bytes("host-1/"), bytes("host-1/~"), 1)))
        .containsExactly("host-1/x");
  }

  @Test
  void readsFromASectionsStartSkipItsBoundAndStillFillTheirLimit() {
    QueueStores.writeSectionBounds(whole);
    assertThat(whole.size())
        .as("two bounds before each of the eleven sections and after the last")
        .isEqualTo(24);
    stores.budgetWaits().put(bytes("a"), new byte[0]);
    stores.budgetWaits().put(bytes("b"), new byte[0]);

    assertThat(keys(stores.budgetWaits().scan(new byte[0], 1))).containsExactly("a");
    assertThat(keys(stores.budgetWaits().scan(new byte[0], Integer.MAX_VALUE)))
        .containsExactly("a", "b");
    assertThat(keys(stores.budgetWaits().range(new byte[0], bytes("z"), 2)))
        .containsExactly("a", "b");
    assertThat(stores.deadlines().scan(new byte[0], 10)).isEmpty();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> keys(List<SortedStore.Entry> entries) {
    return entries.stream().map(e -> new String(e.key(), StandardCharsets.UTF_8)).toList();
  }
}
