package dev.lineup.sequencer.queue;

/**
 * The sorted stores behind the queues of one sequencer task. Payloads are written once per activity
 * and kept apart from the small index entries, so reordering, cancelling or releasing never
 * rewrites a payload and no event costs more as a host's queue grows.
 *
 * @param hosts host id to its lanes and pause flag
 * @param activities activity id to its place in the queue (small)
 * @param payloads activity id to the activity as enqueued (written once)
 * @param ready ready activities of each host lane, in release order
 * @param upcoming every upcoming activity of each host, in acceptance order
 * @param released every released activity of each host (any lane, bypass included)
 * @param deadlines what must happen when, in time order
 * @param dependents which activities wait for which
 * @param dedupe the upcoming activity holding each host's dedupe key
 * @param budgetWaits host lanes whose next release waits for the system release budget
 */
public record QueueStores(
    SortedStore hosts,
    SortedStore activities,
    SortedStore payloads,
    SortedStore ready,
    SortedStore upcoming,
    SortedStore released,
    SortedStore deadlines,
    SortedStore dependents,
    SortedStore dedupe,
    SortedStore budgetWaits) {}
