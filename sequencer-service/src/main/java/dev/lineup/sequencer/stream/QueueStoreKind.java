package dev.lineup.sequencer.stream;

import java.util.Locale;

/**
 * Where a task's queue store keeps its state ({@code lineup.sequencer.state-store}). Both are
 * changelogged alike, so what one writes the other restores.
 */
public enum QueueStoreKind {
  /**
   * RocksDB on the state directory's disk, off the heap: state larger than memory, and a task
   * restarted after a clean stop reads only what its changelog gained since.
   */
  ROCKSDB,
  /**
   * The heap ({@link HeapStore}): no native store under each read and write, and a task that starts
   * reads its whole changelog back.
   */
  HEAP,
  /**
   * The heap for the upcoming work, RocksDB for the finished activities kept for their retention
   * ({@link TieredStore}): a task that starts reads its whole changelog back, as the heap's does.
   */
  TIERED;

  /** From the setting's value: {@code rocksdb}, {@code heap} or {@code tiered}. */
  public static QueueStoreKind of(String setting) {
    try {
      return valueOf(setting.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "lineup.sequencer.state-store must be rocksdb, heap or tiered, not '" + setting + "'", e);
    }
  }
}
