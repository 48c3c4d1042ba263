package dev.lineup.sequencer.queue;

/**
 * A part of a tick (or of a selector cancel's step) that threw, and was put aside so that it cannot
 * fail again (rule 14): the rest of the task went on without it. The processor turns it into a dead
 * letter and one log line.
 *
 * @param key the host, activity or cancellation it concerns: the dead letter's key
 * @param stored what was put aside as it was stored, if that is a record worth keeping (a selector
 *     cancel's command, which can be sent again), else null
 * @param what what was put aside, for an operator
 * @param advice what an operator may need to do about it
 * @param cause what the part threw
 */
public record PutAside(
    String key, byte[] stored, String what, String advice, RuntimeException cause) {}
