package dev.lineup.sequencer.queue;

/**
 * A host's checks: one deadline per host standing for a time each of many of its activities has,
 * due no later than the earliest of them (the host record keeps when). An activity whose time comes
 * after the check writes nothing; the check, once due, deals with the activities whose time came
 * and is set again at the earliest time of the rest ({@link HostQueues}). A check found due with
 * nothing left to watch is not set again.
 *
 * <ul>
 *   <li><b>Leases</b> (rule 7, {@link Deadline.Kind#HOST_LEASES}): the leases of the host's
 *       released activities. With leases of one length, each release's ends after the check already
 *       set, so a busy host's check is written about once per lease length, not per activity.
 *   <li><b>Stale times</b> (rule 9, {@link Deadline.Kind#HOST_STALE}): the maximum age of the
 *       host's upcoming activities. Every stale time is an acceptance plus the same maximum age, so
 *       the check stands at the oldest upcoming activity's, and a later activity moves it earlier
 *       only if the maximum age was lowered in between.
 * </ul>
 *
 * <p>A deadline per activity cost two store writes each, each a RocksDB write and a changelog
 * record through the broker and into the standby: one when it was set and its tombstone when it was
 * no longer needed, which nearly always came first (a result before the lease lapses, a release
 * before the activity goes stale; docs/BENCHMARKS.md, findings 41 and 55).
 *
 * <p>A lease or stale time a version before host checks gave a deadline of its own keeps it until
 * it is no longer needed ({@link QueuedActivity#leaseIndexed}, {@link
 * QueuedActivity#staleIndexed}).
 */
final class HostChecks {

  private final Deadlines deadlines;
  private final Deadline.Kind kind;

  private HostChecks(Deadlines deadlines, Deadline.Kind kind) {
    this.deadlines = deadlines;
    this.kind = kind;
  }

  /** The hosts' lease checks (rule 7). */
  static HostChecks leases(Deadlines deadlines) {
    return new HostChecks(deadlines, Deadline.Kind.HOST_LEASES);
  }

  /** The hosts' stale checks (rule 9). */
  static HostChecks staleTimes(Deadlines deadlines) {
    return new HostChecks(deadlines, Deadline.Kind.HOST_STALE);
  }

  /**
   * Makes the host's check due no later than {@code at}, a time it is to watch. A check already due
   * by {@code now} is left where it is, and another is set at once (due {@code now}, or at {@code
   * at} if that is earlier): the one due may have been put aside with its host's other deadlines
   * ({@link Tick}), its key gone, and what it watched must not wait for the newcomer's time; or it
   * is about to run, and then the second finds nothing more to do than it.
   */
  void watch(Host host, long at, long now) {
    Long checkAt = host.checkAt(kind);
    long due = at;
    if (checkAt != null && checkAt > now) {
      if (checkAt <= at) {
        return;
      }
      deadlines.remove(new Deadline(checkAt, kind, host.id()));
    } else if (checkAt != null) {
      due = Math.min(at, now);
    }
    deadlines.add(new Deadline(due, kind, host.id()));
    host.setCheckAt(kind, due);
  }

  /** The host's check was due and taken out of the index: none is scheduled now. */
  void checked(Host host, Deadline due) {
    if (Long.valueOf(due.at()).equals(host.checkAt(kind))) {
      host.setCheckAt(kind, null);
    }
  }

  /** Takes a forgotten host's check out of the index. */
  void forget(Host host) {
    Long at = host.checkAt(kind);
    if (at != null) {
      deadlines.remove(new Deadline(at, kind, host.id()));
      host.setCheckAt(kind, null);
    }
  }
}
