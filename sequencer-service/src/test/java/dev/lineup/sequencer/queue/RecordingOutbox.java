package dev.lineup.sequencer.queue;

import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReleasedActivity;
import java.util.ArrayList;
import java.util.List;

/** An {@link Outbox} that keeps what the rules put in it, for a test to read. */
final class RecordingOutbox implements Outbox {

  final List<LifecycleEvent> events = new ArrayList<>();
  final List<ReleasedActivity> released = new ArrayList<>();

  /** The topic of each release, in the order of {@link #released}. */
  final List<String> releasedTo = new ArrayList<>();

  @Override
  public void event(LifecycleEvent event) {
    events.add(event);
  }

  @Override
  public void release(Release r) {
    released.add(r.decode());
    releasedTo.add(r.topic());
  }
}
