package dev.lineup.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * One SQL design of a per-host activity queue, as {@link SqlQueueRun} drives it: each method runs
 * inside a transaction the run opens and commits. Hosts are numbers; an activity's index on its
 * host ({@code k}) decides its type, as in Lineup's workload.
 */
interface SqlQueue {

  /** Its name in the bench's output. */
  String name();

  /** Creates the tables and indexes, replacing any of an earlier run. */
  void create(Connection c) throws SQLException;

  /** Enqueues the host's {@code k}-th activity and activates the next if the host has none. */
  void enqueue(Connection c, int host, String id, int k, int priority) throws SQLException;

  /**
   * The activities a device of worker {@code worker} (of {@code workers}, hosts split by number)
   * may run now: {@code [activity id, host number, its kind or null]}.
   */
  List<String[]> activated(Connection c, int workers, int worker) throws SQLException;

  /**
   * Records the activity's success and activates the host's next; {@code kind} is what {@link
   * #activated} said of it.
   */
  void complete(Connection c, int host, String id, String kind) throws SQLException;
}
