package dev.lineup.sequencer.queue;

import dev.lineup.avro.Lane;
import java.time.Instant;
import java.util.List;

/**
 * A part of a tick (or of a selector cancel's step) that threw, and was put aside so that it cannot
 * fail again (rule 14): the rest of the task went on without it. The processor turns it into a dead
 * letter and one log line. The factories below say, for each kind of part, what was put aside and
 * what an operator may do about it.
 *
 * @param key the host, activity or cancellation it concerns: the dead letter's key
 * @param stored what was put aside as it was stored, if that is a record worth keeping (a selector
 *     cancel's command, which can be sent again), else null
 * @param what what was put aside, for an operator
 * @param advice what an operator may need to do about it
 * @param cause what the part threw
 */
public record PutAside(
    String key, byte[] stored, String what, String advice, RuntimeException cause) {

  /** How many deadlines the report of a host's put aside names; the rest are counted. */
  private static final int DEADLINES_NAMED = 10;

  /** A host's due deadlines (a null host: those of activities no longer stored), removed. */
  static PutAside dueDeadlines(String hostId, List<Deadline> due, RuntimeException failed) {
    StringBuilder named = new StringBuilder();
    for (int i = 0; i < Math.min(due.size(), DEADLINES_NAMED); i++) {
      Deadline d = due.get(i);
      named.append(i == 0 ? "" : ", ").append(d.kind()).append(" of ").append(d.activityId());
    }
    if (due.size() > DEADLINES_NAMED) {
      named.append(" and ").append(due.size() - DEADLINES_NAMED).append(" more");
    }
    if (hostId == null) {
      return new PutAside(
          null,
          null,
          "the due deadlines of activities no longer stored (" + named + ")",
          "nothing: they were only to be removed",
          failed);
    }
    return new PutAside(
        hostId,
        null,
        "the due deadlines of host " + hostId + " (" + named + ")",
        "what they were due to do (a lease to lapse, a retry or not_before to come, a stale"
            + " activity to end) will not happen, so the host's lanes may stay held: look at GET"
            + " /v1/hosts/"
            + hostId
            + "/queue, and purge the host if it does not move",
        failed);
  }

  /** A key of the deadline index that does not parse, removed. */
  static PutAside unparsedDeadline(byte[] key) {
    return new PutAside(
        null,
        key,
        "a deadline key of " + key.length + " bytes that does not parse",
        "nothing can be known of what was due; the key is the dead letter's value",
        new IllegalStateException("a deadline key does not parse"));
  }

  /** A due deadline whose activity record cannot be read, removed. */
  static PutAside unreadableDeadline(Deadline due, RuntimeException failed) {
    return new PutAside(
        due.activityId(),
        null,
        "the "
            + due.kind()
            + " deadline of activity "
            + due.activityId()
            + " (due "
            + Instant.ofEpochMilli(due.at())
            + "), whose record cannot be read",
        "the activity's host (GET /v1/activities/"
            + due.activityId()
            + ") may stay held: purge it if its queue does not move",
        failed);
  }

  /** A lane's wait for the release budget (its host null if its key does not parse), removed. */
  static PutAside budgetWait(byte[] key, String hostId, Lane lane, RuntimeException failed) {
    if (hostId == null) {
      return new PutAside(
          null,
          key,
          "a budget-wait key of " + key.length + " bytes that does not parse",
          "nothing can be known of which lane waited; the key is the dead letter's value",
          failed);
    }
    return new PutAside(
        hostId,
        null,
        "the wait of host " + hostId + "'s " + lane + " lane for the release budget",
        "the lane's next system-initiated activity waits for the host's next event (a result, an"
            + " enqueue, a resume): purge the host if its queue does not move",
        failed);
  }

  /** One host's part of a selector cancel's step: the cancel passes over the host. */
  static PutAside cancelOnHost(String cancellationId, String hostId, RuntimeException failed) {
    return new PutAside(
        hostId,
        null,
        "cancellation " + cancellationId + " on host " + hostId,
        "the cancel passed over the host, so its matching upcoming activities were not"
            + " cancelled: cancel them one by one, or purge the host",
        failed);
  }

  /** A selector cancel that cannot go on, dropped on this task with its stored command. */
  static PutAside droppedCancel(String cancellationId, byte[] command, RuntimeException failed) {
    return new PutAside(
        cancellationId,
        command,
        "cancellation " + cancellationId + ", dropped on this task",
        "the matching upcoming activities of the hosts it had not reached were not"
            + " cancelled: send the cancel again",
        failed);
  }
}
