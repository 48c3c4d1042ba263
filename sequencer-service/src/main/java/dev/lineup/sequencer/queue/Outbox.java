package dev.lineup.sequencer.queue;

import dev.lineup.avro.LifecycleEvent;

/** Where the queue rules put what they decide: lifecycle events and releases. */
public interface Outbox {

  void event(LifecycleEvent event);

  void release(Release release);
}
