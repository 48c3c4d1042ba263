package dev.lineup.sequencer.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.embedded.TopicReader;
import dev.lineup.schemas.Topic;
import dev.lineup.schemas.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads what the sequencer committed (read_committed, from the beginning) and checks the queue
 * contract against it, the way an auditor outside Lineup could.
 */
final class TopicAudit {

  private static final Set<ActivityState> TERMINAL =
      Set.of(
          ActivityState.SUCCEEDED,
          ActivityState.FAILED,
          ActivityState.CANCELLED,
          ActivityState.EXPIRED,
          ActivityState.REJECTED);

  final List<LifecycleEvent> events;
  final List<ReleasedActivity> releases;

  private TopicAudit(List<LifecycleEvent> events, List<ReleasedActivity> releases) {
    this.events = events;
    this.releases = releases;
  }

  static TopicAudit read(String bootstrapServers) throws Exception {
    return new TopicAudit(
        readAll(bootstrapServers, Topics.EVENTS),
        readAll(bootstrapServers, Topics.RELEASED_SCRIPT));
  }

  /** How many activities have ended, as far as the committed events say. */
  static long ended(String bootstrapServers) throws Exception {
    return readAll(bootstrapServers, Topics.EVENTS).stream()
        .filter(e -> TERMINAL.contains(e.getState()))
        .count();
  }

  private static <V> List<V> readAll(String bootstrapServers, Topic<String, V> topic) {
    return new TopicReader(bootstrapServers).readToEnd(topic).stream().map(r -> r.value()).toList();
  }

  /**
   * Every enqueued activity ended exactly once; per host, first releases follow the given
   * acceptance order; no attempt was released twice; and reading each host's events in order, a
   * release never happened while another activity of the host was in flight.
   */
  void assertContractHeld(Map<String, List<String>> acceptedPerHost) {
    Map<String, Integer> terminals = new HashMap<>();
    Map<String, List<String>> firstReleasesPerHost = new LinkedHashMap<>();
    Map<String, String> inFlightPerHost = new HashMap<>();
    Set<String> releasedAttempts = new HashSet<>();
    for (LifecycleEvent e : events) {
      String id = e.getActivityId();
      if (TERMINAL.contains(e.getState())
          && e.getReason() != dev.lineup.avro.ReasonCode.DUPLICATE
          && e.getReason() != dev.lineup.avro.ReasonCode.LATE_RESULT
          && e.getReason() != dev.lineup.avro.ReasonCode.NOT_CANCELLABLE) {
        terminals.merge(id, 1, Integer::sum);
        if (id.equals(inFlightPerHost.get(e.getHostId()))) {
          inFlightPerHost.remove(e.getHostId());
        }
      }
      if (e.getState() == ActivityState.RELEASED
          && e.getReason() != dev.lineup.avro.ReasonCode.DUPLICATE) {
        assertThat(releasedAttempts.add(id + "#" + e.getAttempt()))
            .as("%s released twice for attempt %d", id, e.getAttempt())
            .isTrue();
        String other = inFlightPerHost.put(e.getHostId(), id);
        assertThat(other)
            .as("%s released while %s was in flight on %s", id, other, e.getHostId())
            .isNull();
        if (e.getAttempt() == 1) {
          firstReleasesPerHost.computeIfAbsent(e.getHostId(), h -> new ArrayList<>()).add(id);
        }
      }
    }
    Set<String> releasedRecords = new HashSet<>();
    for (ReleasedActivity r : releases) {
      String key = r.getActivity().getActivityId() + "#" + r.getAttempt();
      assertThat(releasedRecords.add(key)).as("%s on the released topic twice", key).isTrue();
    }
    int expected = acceptedPerHost.values().stream().mapToInt(List::size).sum();
    assertThat(terminals).as("activities that ended").hasSize(expected);
    terminals.forEach((id, n) -> assertThat(n).as("terminal events of %s", id).isEqualTo(1));
    assertThat(releasedRecords).as("released records").hasSize(expected);
    acceptedPerHost.forEach(
        (host, accepted) ->
            assertThat(firstReleasesPerHost.get(host))
                .as("release order of %s", host)
                .containsExactlyElementsOf(accepted));
  }
}
