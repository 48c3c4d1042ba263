package dev.lineup.intake.admission;

import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The claim that admits an enqueue: which host an activity id belongs to (rule 17), and whether the
 * id was enqueued before within the idempotency window. Every front door (HTTP, batches, the Kafka
 * front door) claims the id in PostgreSQL before anything reaches a topic, so the answer is
 * synchronous: the ledger is a projection of {@code lineup.events} and lags behind the enqueues.
 *
 * <p>A claim says one of three things. {@code ADMITTED}: the id is this caller's, go on and
 * enqueue. {@code RESENT}: the same host enqueued it before, within the window; the enqueue is a
 * no-op and the caller answers with the existing activity. {@code CONFLICT}: another host holds it;
 * never merged.
 *
 * <p>Two things make a claim safe to retry. The same <em>origin</em> claiming again is admitted
 * again: the Kafka front door's claims name the request's partition and offset, so a request read
 * again after its transaction was aborted is not taken for a resend of itself. And a claim whose
 * enqueue failed ({@link #abandon}), or that left no trace in the ledger well after any publish
 * must have ended (twice the publish timeout), may be taken over by a resend to the same host: the
 * failed attempt may have reached the topic after all, but the sequencer answers a second enqueue
 * of an activity it knows with a no-op.
 *
 * <p>After the window a claim is forgotten (see {@link IdempotencyWindow}) and the id may run again
 * on its host. The ledger keeps each activity's host for good, so reusing an id on another host is
 * refused at any age.
 */
@Singleton
public final class ActivityClaims {

  /** What a claim decided. */
  public enum Outcome {
    ADMITTED,
    RESENT,
    CONFLICT
  }

  /** One activity id wanted for one host. */
  public record Wanted(String activityId, String hostId) {}

  /**
   * What a claim decided for one id.
   *
   * @param hostId the host the id belongs to (another one for a conflict)
   * @param batchId for a resend, the batch of the earlier enqueue, if it had one
   */
  public record Claim(String activityId, Outcome outcome, String hostId, String batchId) {}

  /** The reason code of an id reused on another host, in problem+json and dead letters. */
  public static final String ID_CONFLICT = "ID_CONFLICT";

  private static final String ABANDONED = "abandoned:";

  private final DataSource db;
  private final Duration abandonedAfter;

  public ActivityClaims(
      DataSource db, @Value("${lineup.intake.publish-timeout}") Duration publishTimeout) {
    this.db = db;
    // A publish waits at most the timeout for metadata and as long again for the broker's ack.
    this.abandonedAfter = publishTimeout.multipliedBy(2);
  }

  /** The 409 for an activity id that belongs to another host; {@code field} names it. */
  public static ApiException idConflict(String field, String activityId) {
    return ApiException.conflict(
        ID_CONFLICT,
        "activity " + activityId + " belongs to another host: an id is never reused across hosts",
        List.of(new Problem.FieldError(field, "belongs to another host")));
  }

  /** Claims one id for {@code hostId}; see the class comment for what the outcomes mean. */
  public Claim claim(String activityId, String hostId, String origin) throws SQLException {
    return claimAll(List.of(new Wanted(activityId, hostId)), origin, null).get(0);
  }

  /**
   * Claims every id, all or nothing: the claims stay only if every one was admitted. Answers one
   * claim per wanted id, in the order given.
   */
  public List<Claim> claimAll(List<Wanted> wanted, String origin, String batchId)
      throws SQLException {
    return claim(wanted, wanted.stream().map(w -> origin).toList(), batchId, true);
  }

  /**
   * Claims each id on its own, in one transaction: what one id decides does not touch the others
   * (the Kafka front door, a poll's requests at a time). {@code origins} names each claimant, in
   * the order of {@code wanted}; answers one claim per wanted id, in that order.
   */
  public List<Claim> claimEach(List<Wanted> wanted, List<String> origins) throws SQLException {
    return wanted.isEmpty() ? List.of() : claim(wanted, origins, null, false);
  }

  private List<Claim> claim(
      List<Wanted> wanted, List<String> origins, String batchId, boolean allOrNothing)
      throws SQLException {
    // In id order, so two batches sharing ids lock them in the same order and never deadlock.
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < wanted.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparing(i -> wanted.get(i).activityId()));
    Claim[] decided = new Claim[wanted.size()];
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        Map<String, String> ledgerHosts = ledgerHosts(c, wanted);
        List<Integer> inserted = new ArrayList<>();
        for (int i : order) {
          Wanted w = wanted.get(i);
          String owner = ledgerHosts.get(w.activityId());
          if (owner != null && !owner.equals(w.hostId())) {
            // Its claim may be long forgotten; the ledger still knows whose it is.
            decided[i] = new Claim(w.activityId(), Outcome.CONFLICT, owner, null);
          } else {
            inserted.add(i);
          }
        }
        Set<String> admitted = insert(c, wanted, origins, batchId, inserted);
        for (int i : inserted) {
          Wanted w = wanted.get(i);
          // An id wanted twice is admitted once, the first time; the second finds it held.
          decided[i] =
              admitted.remove(w.activityId())
                  ? new Claim(w.activityId(), Outcome.ADMITTED, w.hostId(), batchId)
                  : held(c, w, origins.get(i), batchId, ledgerHosts.containsKey(w.activityId()));
        }
        if (!allOrNothing
            || java.util.Arrays.stream(decided).allMatch(d -> d.outcome() == Outcome.ADMITTED)) {
          c.commit();
        } else {
          c.rollback();
        }
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    return List.of(decided);
  }

  /**
   * Inserts the claims not held yet, in the order given (so two callers sharing ids lock them in
   * the same order), as one statement with its rows passed as arrays: PostgreSQL plans and runs it
   * once, not once per id (finding 40 in docs/BENCHMARKS.md). Answers the ids it inserted.
   */
  private static Set<String> insert(
      Connection c, List<Wanted> wanted, List<String> origins, String batchId, List<Integer> rows)
      throws SQLException {
    Set<String> admitted = new HashSet<>();
    if (rows.isEmpty()) {
      return admitted;
    }
    String[] ids = new String[rows.size()];
    String[] hosts = new String[rows.size()];
    String[] claimants = new String[rows.size()];
    for (int k = 0; k < rows.size(); k++) {
      int i = rows.get(k);
      ids[k] = wanted.get(i).activityId();
      hosts[k] = wanted.get(i).hostId();
      claimants[k] = origins.get(i);
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO activity_claims (activity_id, host_id, origin, batch_id)"
                + " SELECT u.activity_id, u.host_id, u.origin, ?"
                + " FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY"
                + " AS u(activity_id, host_id, origin, n) ORDER BY u.n"
                + " ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id")) {
      s.setString(1, batchId);
      s.setArray(2, c.createArrayOf("text", ids));
      s.setArray(3, c.createArrayOf("text", hosts));
      s.setArray(4, c.createArrayOf("text", claimants));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          admitted.add(rs.getString(1));
        }
      }
    }
    return admitted;
  }

  /** An id someone claimed before: whose it is, and whether this caller may take it over. */
  private Claim held(Connection c, Wanted w, String origin, String batchId, boolean inLedger)
      throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT host_id, origin, batch_id, claimed_at < now() - (? * interval '1 millisecond')"
                + " FROM activity_claims WHERE activity_id = ? FOR UPDATE")) {
      select.setLong(1, abandonedAfter.toMillis());
      select.setString(2, w.activityId());
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          // Forgotten between the insert and this read: the window just closed on it. Rare
          // enough to let the caller try again rather than loop here.
          throw new SQLException(
              "the claim on " + w.activityId() + " was forgotten while read; try again", "40001");
        }
        String host = rs.getString(1);
        String heldBy = rs.getString(2);
        String heldBatch = rs.getString(3);
        boolean old = rs.getBoolean(4);
        if (!host.equals(w.hostId())) {
          return new Claim(w.activityId(), Outcome.CONFLICT, host, null);
        }
        if (heldBy.equals(origin)) {
          return new Claim(w.activityId(), Outcome.ADMITTED, host, batchId);
        }
        if (!inLedger && (heldBy.startsWith(ABANDONED) || old)) {
          takeOver(c, w.activityId(), origin, batchId);
          return new Claim(w.activityId(), Outcome.ADMITTED, host, batchId);
        }
        return new Claim(w.activityId(), Outcome.RESENT, host, heldBatch);
      }
    }
  }

  private static void takeOver(Connection c, String activityId, String origin, String batchId)
      throws SQLException {
    try (PreparedStatement update =
        c.prepareStatement(
            "UPDATE activity_claims SET origin = ?, batch_id = ?, claimed_at = now()"
                + " WHERE activity_id = ?")) {
      update.setString(1, origin);
      update.setString(2, batchId);
      update.setString(3, activityId);
      update.executeUpdate();
    }
  }

  /**
   * The hosts the ledger knows for these ids, one primary-key lookup per id. Written as {@code
   * activity_id = ANY (?)}, PostgreSQL takes a sequential scan of the whole ledger for a poll's few
   * hundred ids until the ledger holds some hundred thousand rows: on the bench that scan was four
   * fifths of the Kafka front door's busy time and halved the end-to-end rate (finding 23).
   */
  private static Map<String, String> ledgerHosts(Connection c, List<Wanted> wanted)
      throws SQLException {
    Map<String, String> hosts = new HashMap<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT w.id, (SELECT a.host_id FROM activities a WHERE a.activity_id = w.id)"
                + " FROM unnest(?::text[]) AS w(id)")) {
      Array ids =
          c.createArrayOf("text", wanted.stream().map(Wanted::activityId).toArray(String[]::new));
      s.setArray(1, ids);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          if (rs.getString(2) != null) {
            hosts.put(rs.getString(1), rs.getString(2));
          }
        }
      }
    }
    return hosts;
  }

  /**
   * Marks {@code origin}'s claims on these ids as abandoned: their enqueue failed, so a resend to
   * the same host may take them over at once. They still keep the id from every other host, since
   * the failed publish may have reached the topic all the same.
   */
  public void abandon(Collection<String> activityIds, String origin) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE activity_claims SET origin = ? WHERE activity_id = ANY (?) AND origin = ?")) {
      s.setString(1, ABANDONED + origin);
      s.setArray(2, c.createArrayOf("text", activityIds.toArray(String[]::new)));
      s.setString(3, origin);
      s.executeUpdate();
    }
  }
}
