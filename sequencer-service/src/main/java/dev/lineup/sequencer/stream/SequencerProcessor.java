package dev.lineup.sequencer.stream;

import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.Cancel;
import dev.lineup.avro.CancelMatching;
import dev.lineup.avro.CancelUpcoming;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.Pause;
import dev.lineup.avro.Purge;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.Resume;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.HostQueues;
import dev.lineup.sequencer.queue.Outbox;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.queue.QueueStores;
import dev.lineup.sequencer.queue.SortedStore;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves records between the topics, the state stores and {@link HostQueues}: commands and results
 * in, lifecycle events and releases out, and a wall-clock punctuator for leases, retries and the
 * other deadlines. All rules live in {@link HostQueues}.
 */
final class SequencerProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(SequencerProcessor.class);

  private final QueueSettings settings;
  private final Duration tick;
  private ProcessorContext<String, SpecificRecord> context;
  private HostQueues queues;
  private SortedStore store;
  private boolean boundsWritten;

  SequencerProcessor(QueueSettings settings, Duration tick) {
    this.settings = settings;
    this.tick = tick;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    store = KeyValueSortedStore.of(context.getStateStore(SequencerTopology.QUEUE_STORE));
    boundsWritten = false;
    queues = new HostQueues(QueueStores.sectionsOf(store), settings, new Forwarding());
    context.schedule(
        tick,
        PunctuationType.WALL_CLOCK_TIME,
        now -> {
          writeBoundsOnce();
          queues.onTime(now);
        });
  }

  /**
   * The sections' bounds, written with the first record or punctuation this task handles (a store
   * written in {@code init} would have no record to log the change with).
   */
  private void writeBoundsOnce() {
    if (!boundsWritten) {
      QueueStores.writeSectionBounds(store);
      boundsWritten = true;
    }
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    writeBoundsOnce();
    long now = context.currentSystemTimeMs();
    SpecificRecord value = record.value();
    if (value instanceof Command command) {
      if (command.getBody() instanceof CancelMatching cancel) {
        queues.cancelMatching(cancel.getSelector(), cancel.getCancellationId(), now);
        return;
      }
      String host = command.getHostId();
      if (!host.equals(record.key())) {
        LOG.warn(
            "command {} keyed {} names host {}: ignored",
            command.getCommandId(),
            record.key(),
            host);
        return;
      }
      Object body = command.getBody();
      if (body instanceof Enqueue enqueue) {
        queues.enqueue(enqueue.getActivity(), enqueue.getPreempt(), now);
      } else if (body instanceof Cancel cancel) {
        queues.cancel(host, cancel.getActivityId(), now);
      } else if (body instanceof CancelUpcoming) {
        queues.cancelUpcoming(host, now);
      } else if (body instanceof Pause) {
        queues.pause(host, now);
      } else if (body instanceof Resume) {
        queues.resume(host, now);
      } else if (body instanceof Purge) {
        queues.purge(host, now);
      }
    } else if (value instanceof ActivityResult result) {
      queues.onResult(result, now);
    }
  }

  /** Sends what the queue decided to the sink named after its topic. */
  private final class Forwarding implements Outbox {
    @Override
    public void event(LifecycleEvent event) {
      context.forward(
          new Record<String, SpecificRecord>(
              event.getHostId(), event, event.getOccurredAt().toEpochMilli()),
          Topics.EVENTS.name());
    }

    @Override
    public void release(ReleasedActivity released) {
      context.forward(
          new Record<String, SpecificRecord>(
              released.getActivity().getHostId(),
              released,
              released.getReleasedAt().toEpochMilli()),
          Topics.released(released.getActivity().getChannel()).name());
    }
  }
}
