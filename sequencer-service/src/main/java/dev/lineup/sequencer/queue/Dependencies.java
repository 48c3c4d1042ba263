package dev.lineup.sequencer.queue;

import static dev.lineup.avro.ActivityState.SUCCEEDED;

import dev.lineup.avro.Activity;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What rule 4 reads when an activity is accepted: the dependencies it must wait for, why it can
 * never run, and what a preemption must spare so that it still can (rule 6). Reads only: what an
 * activity then does, wait, be cancelled or preempt, is {@link HostQueues}'.
 */
final class Dependencies {

  private final StoredQueues stored;

  Dependencies(StoredQueues stored) {
    this.stored = stored;
  }

  /**
   * The dependencies {@code activity} must wait for go into {@code waitingFor}; the answer is why
   * it can never run (a dependency unknown, of another host, or ended other than SUCCEEDED), or
   * null if it can.
   */
  String check(Activity activity, Map<String, QueuedActivity> waitingFor) {
    for (String dependency : activity.getDependsOn()) {
      Optional<QueuedActivity> dep =
          dependency.equals(activity.getActivityId())
              ? Optional.empty()
              : stored.activity(dependency);
      if (dep.isEmpty() || !dep.get().hostId().equals(activity.getHostId())) {
        waitingFor.clear();
        return dependency + " is not an activity of this host";
      }
      if (dep.get().state() == SUCCEEDED) {
        continue;
      }
      if (dep.get().hasEnded()) {
        waitingFor.clear();
        return dependency + " ended " + dep.get().state();
      }
      waitingFor.put(dependency, dep.get());
    }
    return null;
  }

  /**
   * The upcoming activities among {@code ids} and everything they wait for in turn: what a
   * preemption must spare so that the preempting activity can still run.
   */
  Set<String> sparedByPreemption(Set<String> ids) {
    Set<String> spared = new HashSet<>();
    Deque<String> toVisit = new ArrayDeque<>(ids);
    while (!toVisit.isEmpty()) {
      String id = toVisit.pop();
      Optional<QueuedActivity> dep = stored.activity(id);
      if (dep.isEmpty() || !dep.get().isUpcoming() || !spared.add(id)) {
        continue;
      }
      if (dep.get().pendingDependencies() > 0) {
        toVisit.addAll(stored.payload(dep.get()).getDependsOn());
      }
    }
    return spared;
  }
}
