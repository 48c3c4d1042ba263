package dev.lineup.sequencer.queue;

/**
 * Rule 7's deadlines, one per host: a host's lease check stands for the leases of all its released
 * activities, due no later than the earliest of them (the host record keeps when). A release whose
 * lease ends after the check writes nothing; the check, once due, ends the leases that lapsed and
 * is set again at the earliest of the rest ({@link HostQueues}).
 *
 * <p>A deadline per release cost two store writes per activity, each a RocksDB write and a
 * changelog record through the broker and into the standby: one at the release and its tombstone at
 * the result, which nearly always comes first (docs/BENCHMARKS.md, finding 41). With leases of one
 * length, each release's ends after the check already set, so a busy host's check is written about
 * once per lease length, not per activity. A check found due with nothing released is not set
 * again.
 *
 * <p>A lease a version before host checks gave its own deadline keeps it until it ends ({@link
 * QueuedActivity#leaseIndexed}).
 */
final class LeaseChecks {

  private final Deadlines deadlines;

  LeaseChecks(Deadlines deadlines) {
    this.deadlines = deadlines;
  }

  /**
   * Makes the host's check due no later than {@code leaseExpiresAt}, a lease it is to watch. A
   * check already due by {@code now} is left where it is and another is set: it may have been put
   * aside with its host's other deadlines ({@link Tick}), or be about to run, and then finds
   * nothing more to do than the new one.
   */
  void watch(Host host, long leaseExpiresAt, long now) {
    Long at = host.leaseCheckAt();
    if (at != null && at > now) {
      if (at <= leaseExpiresAt) {
        return;
      }
      deadlines.remove(Deadline.hostLeases(at, host.id()));
    }
    deadlines.add(Deadline.hostLeases(leaseExpiresAt, host.id()));
    host.setLeaseCheckAt(leaseExpiresAt);
  }

  /** The host's check was due and taken out of the index: none is scheduled now. */
  void checked(Host host) {
    host.setLeaseCheckAt(null);
  }

  /** Takes a forgotten host's check out of the index. */
  void forget(Host host) {
    Long at = host.leaseCheckAt();
    if (at != null) {
      deadlines.remove(Deadline.hostLeases(at, host.id()));
      host.setLeaseCheckAt(null);
    }
  }
}
