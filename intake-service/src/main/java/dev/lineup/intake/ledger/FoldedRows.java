package dev.lineup.intake.ledger;

import dev.lineup.avro.LifecycleEvent;
import dev.lineup.schemas.StoredText;
import dev.lineup.service.db.ArrayParameters;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch's row writes ({@link FoldedEvents}) passed to one statement as arrays, a column each:
 * PostgreSQL plans and runs the upsert once for the batch instead of once per row, which costs it a
 * third less per row (finding 40 in docs/BENCHMARKS.md).
 *
 * <p>One statement may not update a row twice, so the writes go in rounds: an activity's first
 * write of the batch in the first round, its second (a replay, or a write a note kept apart) in the
 * second, and so on. Each round runs after the one before, so every activity's writes still apply
 * in the order of its events; writes of different activities touch different rows, so their order
 * never mattered.
 */
final class FoldedRows {

  /**
   * The rows, in the order of {@code activities}' columns the ledger's upserts name; the times come
   * as microseconds since the epoch ({@link ArrayParameters#epochMicros}).
   */
  static final String ROWS =
      "SELECT u.activity_id, u.host_id, u.type, u.lane, u.priority, u.batch_id, u.state,"
          + " u.reason, u.detail, u.attempt, u.last_sequence, "
          + ArrayParameters.timestamptz("u.created_at")
          + ", "
          + ArrayParameters.timestamptz("u.released_at")
          + ", "
          + ArrayParameters.timestamptz("u.finished_at")
          + ", u.exit_code, u.output"
          + " FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::integer[], ?::text[],"
          + " ?::text[], ?::text[], ?::text[], ?::integer[], ?::bigint[], ?::bigint[], ?::bigint[],"
          + " ?::bigint[], ?::integer[], ?::text[])"
          + " AS u(activity_id, host_id, type, lane, priority, batch_id, state, reason, detail,"
          + " attempt, last_sequence, created_at, released_at, finished_at, exit_code, output)";

  private final List<FoldedEvents> writes = new ArrayList<>();

  private FoldedRows() {}

  /** The writes in rounds, each activity at most once a round, in the order they must run. */
  static List<FoldedRows> inRounds(List<FoldedEvents> writes) {
    List<FoldedRows> rounds = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (FoldedEvents write : writes) {
      int round = seen.merge(write.last().getActivityId(), 1, Integer::sum) - 1;
      if (round == rounds.size()) {
        rounds.add(new FoldedRows());
      }
      rounds.get(round).writes.add(write);
    }
    return rounds;
  }

  /** Binds the round to a statement built on {@link #ROWS}. */
  void bind(Connection c, PreparedStatement s) throws SQLException {
    int n = writes.size();
    String[] ids = new String[n];
    String[] hosts = new String[n];
    String[] types = new String[n];
    String[] lanes = new String[n];
    Integer[] priorities = new Integer[n];
    String[] batches = new String[n];
    String[] states = new String[n];
    String[] reasons = new String[n];
    String[] details = new String[n];
    Integer[] attempts = new Integer[n];
    Long[] sequences = new Long[n];
    Instant[] created = new Instant[n];
    Instant[] released = new Instant[n];
    Instant[] finished = new Instant[n];
    Integer[] exitCodes = new Integer[n];
    String[] outputs = new String[n];
    for (int i = 0; i < n; i++) {
      FoldedEvents write = writes.get(i);
      LifecycleEvent e = write.last();
      ids[i] = e.getActivityId();
      hosts[i] = e.getHostId();
      types[i] = e.getType() == null ? "UNKNOWN_TYPE" : e.getType().name();
      lanes[i] = e.getLane().name();
      priorities[i] = e.getPriority();
      batches[i] = e.getBatchId();
      states[i] = e.getState().name();
      reasons[i] = e.getReason().name();
      // Rule 16: whoever wrote the event, text PostgreSQL refuses never reaches it.
      details[i] = e.getDetail() == null ? null : StoredText.clean(e.getDetail());
      attempts[i] = e.getAttempt();
      sequences[i] = e.getSequence();
      created[i] = e.getAcceptedAt() == null ? e.getOccurredAt() : e.getAcceptedAt();
      released[i] = write.releasedAt();
      finished[i] = write.finishedAt();
      exitCodes[i] = write.exitCode();
      outputs[i] = write.output() == null ? null : StoredText.clean(write.output());
    }
    s.setArray(1, c.createArrayOf("text", ids));
    s.setArray(2, c.createArrayOf("text", hosts));
    s.setArray(3, c.createArrayOf("text", types));
    s.setArray(4, c.createArrayOf("text", lanes));
    s.setArray(5, c.createArrayOf("integer", priorities));
    s.setArray(6, c.createArrayOf("text", batches));
    s.setArray(7, c.createArrayOf("text", states));
    s.setArray(8, c.createArrayOf("text", reasons));
    s.setArray(9, c.createArrayOf("text", details));
    s.setArray(10, c.createArrayOf("integer", attempts));
    s.setArray(11, c.createArrayOf("bigint", sequences));
    s.setArray(12, ArrayParameters.epochMicros(c, created));
    s.setArray(13, ArrayParameters.epochMicros(c, released));
    s.setArray(14, ArrayParameters.epochMicros(c, finished));
    s.setArray(15, c.createArrayOf("integer", exitCodes));
    s.setArray(16, c.createArrayOf("text", outputs));
  }
}
