package dev.lineup.sequencer.queue;

import dev.lineup.avro.CancelMatching;
import dev.lineup.avro.Command;
import dev.lineup.avro.Selector;
import dev.lineup.schemas.AvroSerde;
import dev.lineup.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Selector cancels still under way in this task, each with its cursor: the last host whose upcoming
 * activities it has gone through (hosts sort by their key in the upcoming index). A host after the
 * cursor that something happens to before the cancel reaches it is brought up to date at once and
 * marked, so the cancel then skips it. No rules live here; see {@link HostQueues#cancelMatching}.
 *
 * <p>Layout of the section: {@code [0][id]} the cancel (as its command), {@code [1][id]} the
 * cursor, {@code [2][len][id][host key]} a host brought up to date ahead of the cursor.
 */
final class PendingCancellations {

  /** One cancel under way. */
  static final class Pending {
    final String id;
    final Selector selector;

    /** The upcoming-index key of the last host gone through; null before the first. */
    byte[] cursor;

    Pending(String id, Selector selector, byte[] cursor) {
      this.id = id;
      this.selector = selector;
      this.cursor = cursor;
    }

    /** Whether the cancel has gone through {@code hostKey} already. */
    boolean passed(byte[] hostKey) {
      return cursor != null && Arrays.compareUnsigned(hostKey, cursor) <= 0;
    }
  }

  private static final byte CANCEL = 0;
  private static final byte CURSOR = 1;
  private static final byte CAUGHT_UP = 2;
  private static final byte[] PRESENT = new byte[0];
  private static final AvroSerde<Command> COMMANDS = AvroSerde.of(Command.class);

  private final SortedStore store;

  /** The cancels under way, read from the store once; each is written through. */
  private List<Pending> pending;

  PendingCancellations(SortedStore store) {
    this.store = store;
  }

  List<Pending> all() {
    if (pending == null) {
      pending = new ArrayList<>();
      for (SortedStore.Entry e : store.scan(new byte[] {CANCEL}, Integer.MAX_VALUE)) {
        Command command = COMMANDS.deserialize("cancellations", e.value());
        CancelMatching cancel = (CancelMatching) command.getBody();
        pending.add(
            new Pending(
                cancel.getCancellationId(),
                cancel.getSelector(),
                store.get(key(CURSOR, cancel.getCancellationId()))));
      }
    }
    return pending;
  }

  boolean isEmpty() {
    return all().isEmpty();
  }

  /** Starts a cancel; false if it is under way already (the same command twice). */
  boolean start(String id, Selector selector, long now) {
    if (all().stream().anyMatch(p -> p.id.equals(id))) {
      return false;
    }
    Command command =
        Command.newBuilder()
            .setCommandId(id)
            .setHostId(Topics.BROADCAST_KEY)
            .setIssuedAt(Instant.ofEpochMilli(now))
            .setBody(
                CancelMatching.newBuilder().setCancellationId(id).setSelector(selector).build())
            .build();
    store.put(key(CANCEL, id), COMMANDS.serialize("cancellations", command));
    pending.add(new Pending(id, selector, null));
    return true;
  }

  void saveCursor(Pending p) {
    store.put(key(CURSOR, p.id), p.cursor);
  }

  boolean caughtUp(Pending p, byte[] hostKey) {
    return store.get(caughtUpKey(p.id, hostKey)) != null;
  }

  void markCaughtUp(Pending p, byte[] hostKey) {
    store.put(caughtUpKey(p.id, hostKey), PRESENT);
  }

  /**
   * Forgets what is held in memory, to be read again from the store: after a step's writes were
   * discarded, a cursor or a cancel it added may be ahead of what is stored.
   */
  void forget() {
    pending = null;
  }

  /** The cancel is done: forget it, its cursor and its marks. */
  void finish(Pending p) {
    for (SortedStore.Entry e : store.scan(caughtUpKey(p.id, new byte[0]), Integer.MAX_VALUE)) {
      store.delete(e.key());
    }
    store.delete(key(CURSOR, p.id));
    store.delete(key(CANCEL, p.id));
    pending.remove(p);
  }

  private static byte[] key(byte kind, String id) {
    return StoreKeys.concat(new byte[] {kind}, StoreKeys.id(id));
  }

  private static byte[] caughtUpKey(String id, byte[] hostKey) {
    return StoreKeys.concat(new byte[] {CAUGHT_UP}, StoreKeys.host(id), hostKey);
  }
}
