package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * A staged step reads like the store it will become, and leaves the store untouched until it
 * commits: checked against a plain sorted store that takes every write at once. A key the step
 * inserted and deleted again never reaches the store.
 */
class StagedStoreProperties {

  /** One operation of a step; keys come from a small alphabet so that they collide often. */
  record Op(int kind, byte[] key, byte[] other, int limit) {
    @Override
    public String toString() {
      return switch (kind) {
        case 0 -> "put " + Arrays.toString(key);
        case 1 -> "delete " + Arrays.toString(key);
        case 2 -> "scan " + Arrays.toString(key) + " limit " + limit;
        case 3 -> "range " + Arrays.toString(key) + ".." + Arrays.toString(other) + " " + limit;
        case 4 -> "commit";
        case 5 -> "discard";
        default -> "insert " + Arrays.toString(key);
      };
    }
  }

  @Provide
  Arbitrary<List<Op>> steps() {
    Arbitrary<byte[]> keys =
        Arbitraries.bytes()
            .between((byte) 1, (byte) 4)
            .array(byte[].class)
            .ofMinSize(1)
            .ofMaxSize(3);
    Arbitrary<Op> op =
        net.jqwik.api.Combinators.combine(
                Arbitraries.frequency(
                    net.jqwik.api.Tuple.of(5, 0),
                    net.jqwik.api.Tuple.of(3, 1),
                    net.jqwik.api.Tuple.of(3, 2),
                    net.jqwik.api.Tuple.of(3, 3),
                    net.jqwik.api.Tuple.of(2, 4),
                    net.jqwik.api.Tuple.of(1, 5),
                    net.jqwik.api.Tuple.of(4, 6)),
                keys,
                keys,
                Arbitraries.integers().between(1, 6))
            .as(Op::new);
    return op.list().ofMaxSize(60);
  }

  @Property(tries = 500)
  void aStagedStoreReadsLikeTheStoreItWillBecome(@ForAll("steps") List<Op> ops) {
    InMemorySortedStore beneath = new InMemorySortedStore();
    StagedStore staged = new StagedStore(beneath);
    InMemorySortedStore committed = new InMemorySortedStore();
    InMemorySortedStore expected = new InMemorySortedStore();
    List<byte[][]> pending = new ArrayList<>();
    for (Op op : ops) {
      switch (op.kind()) {
        case 0 -> {
          byte[] value = {op.key()[0], (byte) op.limit()};
          staged.put(op.key(), value);
          expected.put(op.key(), value);
          pending.add(new byte[][] {op.key(), value});
        }
        case 1 -> {
          staged.delete(op.key());
          expected.delete(op.key());
          pending.add(new byte[][] {op.key(), null});
        }
        case 2 ->
            assertThat(render(staged.scan(op.key(), op.limit())))
                .as(ops.toString())
                .isEqualTo(render(expected.scan(op.key(), op.limit())));
        case 3 -> {
          byte[] from = min(op.key(), op.other());
          byte[] to = max(op.key(), op.other());
          assertThat(render(staged.range(from, to, op.limit())))
              .as(ops.toString())
              .isEqualTo(render(expected.range(from, to, op.limit())));
        }
        case 4 -> {
          staged.commit();
          pending.forEach(w -> apply(committed, w));
          pending.clear();
        }
        case 5 -> {
          staged.discard();
          pending.clear();
          expected = copy(committed);
        }
        default -> {
          byte[] value = {op.key()[0], (byte) op.limit()};
          // As its contract says: only a key the store does not have is inserted.
          if (expected.get(op.key()) == null) {
            staged.insert(op.key(), value);
          } else {
            staged.put(op.key(), value);
          }
          expected.put(op.key(), value);
          pending.add(new byte[][] {op.key(), value});
        }
      }
      // Nothing reaches the store beneath before a commit.
      assertThat(render(beneath.scan(new byte[0], Integer.MAX_VALUE)))
          .as(ops.toString())
          .isEqualTo(render(committed.scan(new byte[0], Integer.MAX_VALUE)));
    }
  }

  @Test
  void aKeyInsertedAndDeletedInOneStepNeverReachesTheStore() {
    RecordingSortedStore beneath = new RecordingSortedStore();
    StagedStore staged = new StagedStore(beneath);
    byte[] fresh = {40};
    byte[] stored = {41};
    staged.put(stored, new byte[] {9});
    staged.commit();
    beneath.take();

    staged.insert(fresh, new byte[] {7});
    assertThat(staged.get(fresh)).containsExactly(7);
    assertThat(staged.range(new byte[] {40}, new byte[] {42}, 10)).hasSize(2);
    staged.delete(fresh);
    assertThat(staged.get(fresh)).isNull();
    // A key deleted earlier in the step is in the store: inserted again and deleted, its deletion
    // must still reach the store.
    staged.delete(stored);
    staged.insert(stored, new byte[] {8});
    staged.delete(stored);
    staged.commit();

    assertThat(beneath.take()).containsExactly("delete [41]");
  }

  @Test
  void aKeyInsertedThenPutAndDeletedStillNeverReachesTheStore() {
    RecordingSortedStore beneath = new RecordingSortedStore();
    StagedStore staged = new StagedStore(beneath);
    staged.insert(new byte[] {40}, new byte[] {7});
    staged.put(new byte[] {40}, new byte[] {8});
    staged.delete(new byte[] {40});
    staged.insert(new byte[] {42}, new byte[] {7});
    staged.discard();
    staged.insert(new byte[] {42}, new byte[] {6});
    staged.commit();

    assertThat(beneath.take()).containsExactly("put [42]");
  }

  private static void apply(InMemorySortedStore store, byte[][] write) {
    if (write[1] == null) {
      store.delete(write[0]);
    } else {
      store.put(write[0], write[1]);
    }
  }

  private static InMemorySortedStore copy(InMemorySortedStore from) {
    InMemorySortedStore copy = new InMemorySortedStore();
    from.scan(new byte[0], Integer.MAX_VALUE).forEach(e -> copy.put(e.key(), e.value()));
    return copy;
  }

  private static byte[] min(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b) <= 0 ? a : b;
  }

  private static byte[] max(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b) <= 0 ? b : a;
  }

  private static List<String> render(List<SortedStore.Entry> entries) {
    return entries.stream()
        .map(e -> Arrays.toString(e.key()) + "=" + Arrays.toString(e.value()))
        .toList();
  }
}
