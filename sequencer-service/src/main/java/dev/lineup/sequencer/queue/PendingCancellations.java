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
import java.util.Optional;

/**
 * Selector cancels still under way in this task, each with its cursor: the last host whose upcoming
 * activities it has gone through (hosts sort by their key in the upcoming index). A host after the
 * cursor that something happens to before the cancel reaches it is brought up to date at once and
 * marked, so the cancel then skips it. No rules live here; see {@link
 * HostQueues#startCancelMatching}.
 *
 * <p>Layout of the section: {@code [0][id]} the cancel (as its command), {@code [1][id]} the
 * cursor, {@code [2][len][id][host key]} a host brought up to date ahead of the cursor, where a
 * host key is {@code [len][host]}, the host's prefix in the upcoming index.
 */
final class PendingCancellations {

  /** One cancel under way. */
  static final class Pending {
    final String id;
    final Selector selector;

    /** The host key of the last host gone through; null before the first. */
    private byte[] cursor;

    Pending(String id, Selector selector, byte[] cursor) {
      this.id = id;
      this.selector = selector;
      this.cursor = cursor;
    }

    /** Whether the cancel has gone through the host already. */
    boolean passed(String hostId) {
      return cursor != null && Arrays.compareUnsigned(hostKey(hostId), cursor) <= 0;
    }

    /** The last host gone through, or null before the first. */
    String lastHost() {
      return cursor == null ? null : KeyParts.id(cursor, 2, cursor.length);
    }

    /** The cancel has gone through the host; stored with {@link #saveCursor}. */
    void passTo(String hostId) {
      cursor = hostKey(hostId);
    }
  }

  /**
   * A stored cancel whose command cannot be read. It names the cancel, since reading every cancel
   * under way (for any host's catch-up) meets it whichever cancel or host is being handled.
   */
  static final class UnreadableCancellation extends IllegalStateException {
    final String cancellationId;

    UnreadableCancellation(String cancellationId, RuntimeException cause) {
      super("the stored command of cancellation " + cancellationId + " cannot be read", cause);
      this.cancellationId = cancellationId;
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
      List<Pending> read = new ArrayList<>();
      for (SortedStore.Entry e : store.scan(new byte[] {CANCEL}, Integer.MAX_VALUE)) {
        String id = idOf(e.key());
        CancelMatching cancel;
        try {
          cancel = (CancelMatching) COMMANDS.deserialize("cancellations", e.value()).getBody();
        } catch (RuntimeException unreadable) {
          throw new UnreadableCancellation(id, unreadable);
        }
        read.add(new Pending(id, cancel.getSelector(), store.get(key(CURSOR, id))));
      }
      pending = read;
    }
    return pending;
  }

  /**
   * The ids of the cancels under way: from memory while every cancel can be read, else from their
   * keys alone, so that one whose command cannot be read is listed too, to be put aside.
   */
  List<String> ids() {
    try {
      return all().stream().map(p -> p.id).toList();
    } catch (UnreadableCancellation unreadable) {
      List<String> ids = new ArrayList<>();
      for (SortedStore.Entry e : store.scan(new byte[] {CANCEL}, Integer.MAX_VALUE)) {
        ids.add(idOf(e.key()));
      }
      return ids;
    }
  }

  Optional<Pending> find(String id) {
    return all().stream().filter(p -> p.id.equals(id)).findFirst();
  }

  /** The cancel's command as stored, whether it can be read or not; null once it is done. */
  byte[] stored(String id) {
    return store.get(key(CANCEL, id));
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

  boolean caughtUp(Pending p, String hostId) {
    return store.get(caughtUpKey(p.id, hostKey(hostId))) != null;
  }

  /** The cancel is done with the host: it passes over it, and so does catching up. */
  void markCaughtUp(String id, String hostId) {
    store.put(caughtUpKey(id, hostKey(hostId)), PRESENT);
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
    delete(p.id);
    pending.remove(p);
  }

  /**
   * Forgets a cancel that cannot go on, by its id alone, whether its command can be read or not: it
   * is put aside, and the hosts it has not reached keep their matching activities.
   */
  void drop(String id) {
    delete(id);
    pending = null;
  }

  private void delete(String id) {
    for (SortedStore.Entry e : store.scan(caughtUpKey(id, new byte[0]), Integer.MAX_VALUE)) {
      store.delete(e.key());
    }
    store.delete(key(CURSOR, id));
    store.delete(key(CANCEL, id));
  }

  private static String idOf(byte[] cancelKey) {
    return KeyParts.id(cancelKey, 1, cancelKey.length);
  }

  private static byte[] key(byte kind, String id) {
    return KeyParts.concat(new byte[] {kind}, KeyParts.id(id));
  }

  private static byte[] hostKey(String hostId) {
    return KeyParts.lengthPrefixed(hostId);
  }

  private static byte[] caughtUpKey(String id, byte[] hostKey) {
    return KeyParts.concat(new byte[] {CAUGHT_UP}, KeyParts.lengthPrefixed(id), hostKey);
  }
}
