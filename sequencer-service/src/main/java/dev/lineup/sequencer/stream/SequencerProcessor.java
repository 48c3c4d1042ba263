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
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.Resume;
import dev.lineup.schemas.Lifecycle;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.HostQueues;
import dev.lineup.sequencer.queue.Outbox;
import dev.lineup.sequencer.queue.PutAside;
import dev.lineup.sequencer.queue.QueueSettings;
import dev.lineup.sequencer.queue.Release;
import dev.lineup.sequencer.queue.SeparateSteps;
import dev.lineup.sequencer.queue.StagedStore;
import dev.lineup.sequencer.queue.StoredLayout;
import dev.lineup.service.kafka.Failures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 *
 * <p>Each step is all or nothing: its store writes are staged and its output held until it returns,
 * so a step that throws changes no state and sends nothing. A record is one step, and {@link
 * SequencerDeadLetters} can skip a record whose step threw. A tick is many (see {@link
 * HostQueues#onTime(long, SeparateSteps)}): each host's deadlines, each selector cancel's step,
 * each lane served from the budget; one that throws is put aside with a dead letter of its own, and
 * the rest of the tick goes on. A selector cancel's first step, taken when its command arrives, is
 * a step of its own in the same way.
 */
final class SequencerProcessor implements Processor<String, SpecificRecord, Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(SequencerProcessor.class);

  private final QueueSettings settings;
  private final Duration tick;
  private final SequencerMetrics metrics;
  private final HandoffCommits handoffCommits;
  private ProcessorContext<Object, Object> context;
  private HostQueues queues;
  private StagedStore store;
  private final HeldOutput output = new HeldOutput();
  private final SeparateSteps parts = new Parts();
  private boolean layoutPrepared;

  SequencerProcessor(
      QueueSettings settings,
      Duration tick,
      SequencerMetrics metrics,
      HandoffCommits handoffCommits) {
    this.settings = settings;
    this.tick = tick;
    this.metrics = metrics;
    this.handoffCommits = handoffCommits;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    store =
        new StagedStore(
            KeyValueSortedStore.of(context.getStateStore(SequencerTopology.QUEUE_STORE)));
    layoutPrepared = false;
    queues = new HostQueues(store, settings, output);
    metrics.budgetOpened(queues.budget());
    context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, now -> queues.onTime(now, parts));
  }

  @Override
  public void close() {
    if (queues != null) {
      metrics.budgetClosed(queues.budget());
    }
  }

  /**
   * Runs one step all or nothing: its writes reach the store and its events and releases the topics
   * only if it returns. One that throws leaves the store as it was and rethrows, for the exception
   * handler to dead-letter its record.
   */
  private void step(Runnable step) {
    RuntimeException failed = attempt(step);
    if (failed != null) {
      throw failed;
    }
  }

  /** {@link #step(Runnable)} for a step that answers something. */
  private <T> T stepAnswering(Supplier<T> step) {
    List<T> answer = new ArrayList<>(1);
    step(
        () -> {
          answer.add(step.get());
        });
    return answer.get(0);
  }

  /**
   * Runs one step all or nothing, and answers what it threw (its writes and output then discarded),
   * or null. Only the step's own failures are answered: applying its writes or sending its output
   * fails the task, as anything failing there would.
   */
  private RuntimeException attempt(Runnable step) {
    try {
      prepareLayout();
      step.run();
    } catch (RuntimeException e) {
      store.discard();
      output.discard();
      // What the rules remember between steps (where seeks may start) may have been learnt from
      // the discarded writes.
      queues.forgetRemembered();
      layoutPrepared = false;
      return e;
    }
    store.commit();
    output.send();
    return null;
  }

  /**
   * The store's layout ({@link StoredLayout}: the sections' bounds, and any change of layout it has
   * not had), a step of it with each record or punctuation this task handles until it is done.
   */
  private void prepareLayout() {
    if (!layoutPrepared) {
      layoutPrepared = StoredLayout.prepare(store);
    }
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    if (record.value() instanceof Command command
        && command.getBody() instanceof CancelMatching cancel) {
      // The record's step starts the cancel; its first step is a step of its own, so that a host
      // it cannot go through is passed over instead of the command being dead-lettered whole.
      long now = context.currentSystemTimeMs();
      String id = cancel.getCancellationId();
      if (stepAnswering(() -> queues.startCancelMatching(cancel.getSelector(), id, now))) {
        try {
          queues.stepCancelMatching(id, now, parts);
        } catch (RuntimeException e) {
          // The command was applied: the cancel is stored, and every tick takes its next step. Only
          // a failure that passes by itself, or one putting a step aside, gets here.
          LOG.warn("cancellation {}: its first step failed; the next tick takes it again", id, e);
        }
      }
      return;
    }
    step(() -> apply(record));
  }

  private void apply(Record<String, SpecificRecord> record) {
    long now = context.currentSystemTimeMs();
    SpecificRecord value = record.value();
    output.writtenAt =
        value instanceof ActivityResult
            ? ResultsFirst.writtenAt(record.timestamp())
            : record.timestamp();
    if (value instanceof Command command) {
      String host = command.getHostId();
      if (!host.equals(record.key())) {
        // Keyed to another partition than its host's queue: applying it would split the host.
        throw new IllegalArgumentException(
            "command " + command.getCommandId() + " keyed " + record.key() + " names host " + host);
      }
      checkHostId(host);
      Object body = command.getBody();
      if (body instanceof Enqueue enqueue) {
        checkRoutable(host, enqueue.getActivity());
        queues.enqueue(enqueue.getActivity(), enqueue.getPreempt(), now);
      } else if (body instanceof Cancel cancel) {
        queues.cancel(host, cancel.getActivityId(), now);
      } else if (body instanceof CancelUpcoming) {
        queues.cancelUpcoming(host, now);
      } else if (body instanceof Pause) {
        queues.pause(host);
      } else if (body instanceof Resume) {
        queues.resume(host, now);
      } else if (body instanceof Purge) {
        queues.purge(host, now);
      }
    } else if (value instanceof ActivityResult result) {
      if (result.getKind() == ResultKind.SUCCEEDED || result.getKind() == ResultKind.FAILED) {
        // A release this step makes is the host's hand-off from this result.
        output.handoffFrom = output.writtenAt;
      }
      queues.onResult(result, now);
    }
  }

  /**
   * Rule 15, whoever wrote the command: 1 to 255 characters without control characters. A longer id
   * would not fit the stores' key layout, and would fail every tick that reads it.
   */
  private static void checkHostId(String host) {
    if (!dev.lineup.schemas.Limits.isHostId(host)) {
      throw new IllegalArgumentException(
          "a host id of "
              + host.length()
              + " characters or with control characters breaks rule 15");
    }
  }

  /**
   * An activity the queue could accept but never release (no known channel or type, or another
   * host's) breaks the contract: refused at the door, before it could wedge its host's lane when
   * its turn comes.
   */
  private static void checkRoutable(String host, dev.lineup.avro.Activity activity) {
    if (!host.equals(activity.getHostId())) {
      throw new IllegalArgumentException(
          "command for host " + host + " enqueues an activity of host " + activity.getHostId());
    }
    if (activity.getChannel() == dev.lineup.avro.Channel.UNKNOWN_CHANNEL
        || activity.getType() == dev.lineup.avro.ActivityType.UNKNOWN_TYPE) {
      throw new IllegalArgumentException(
          "activity " + activity.getActivityId() + " has no known channel or type");
    }
  }

  /**
   * Parts of a tick, each a step of its own. A part that failed for a reason that passes by itself
   * (rule 14's transient failures) is not put aside: the tick stops, and the next one goes on.
   */
  private final class Parts implements SeparateSteps {
    @Override
    public RuntimeException attempt(Runnable part) {
      RuntimeException failed = SequencerProcessor.this.attempt(part);
      if (failed != null && Failures.isTransient(failed)) {
        throw failed;
      }
      return failed;
    }

    @Override
    public void putAside(PutAside what, Runnable putAside) {
      if (Failures.isTransient(what.cause())) {
        throw what.cause();
      }
      step(
          () -> {
            putAside.run();
            output.putAside(what);
          });
    }
  }

  /**
   * Holds what the queue decided during a step, and sends it to the sinks named after its topics
   * once the step succeeded.
   */
  private final class HeldOutput implements Outbox {
    private final List<Record<Object, Object>> records = new ArrayList<>();
    private final List<String> sinks = new ArrayList<>();
    private final List<PutAside> putAside = new ArrayList<>();

    /** The time of the final result this step handles, or -1: where a hand-off starts. */
    long handoffFrom = -1;

    /** When the record this step handles was written, or -1 (a tick). */
    long writtenAt = -1;

    @Override
    public void event(LifecycleEvent event) {
      Record<Object, Object> record =
          new Record<>(event.getHostId(), event, event.getOccurredAt().toEpochMilli());
      hold(record, Topics.EVENTS.name());
      if (Lifecycle.revokes(event.getState(), event.getReason())) {
        hold(record, Topics.REVOCATIONS.name());
      }
    }

    @Override
    public void release(Release release) {
      hold(new Record<>(release.hostId(), release, release.releasedAt()), release.topic());
    }

    /** The dead letter of a part of a tick put aside, sent with the step that put it aside. */
    void putAside(PutAside what) {
      ProducerRecord<byte[], byte[]> dead =
          SequencerDeadLetters.putAside(
              context.applicationId() + "-" + SequencerTopology.QUEUE_STORE + "-changelog",
              context.taskId().partition(),
              what);
      hold(
          new Record<>(dead.key(), dead.value(), context.currentSystemTimeMs(), dead.headers()),
          Topics.SEQUENCER_DLQ.name());
      putAside.add(what);
    }

    private void hold(Record<Object, Object> record, String sink) {
      records.add(record);
      sinks.add(sink);
    }

    void send() {
      boolean released = false;
      for (int i = 0; i < records.size(); i++) {
        Record<Object, Object> record = records.get(i);
        if (record.value() instanceof Release release) {
          context.forward(record.withValue(release.value()), sinks.get(i));
          metrics.release(release, handoffFrom);
          handoffFrom = -1;
          released = true;
          continue;
        }
        context.forward(record, sinks.get(i));
        if (record.value() instanceof LifecycleEvent event
            && sinks.get(i).equals(Topics.EVENTS.name())) {
          // Counted once, on the lifecycle log: a revocation is the same event again.
          metrics.event(event);
        }
      }
      putAside.forEach(
          what -> SequencerDeadLetters.sentPutAside(context.taskId().toString(), what));
      long now = context.currentSystemTimeMs();
      if (released ? handoffCommits.released(writtenAt, now) : handoffCommits.due(now)) {
        context.commit();
        metrics.handoffCommit();
      }
      discard();
    }

    void discard() {
      handoffFrom = -1;
      writtenAt = -1;
      records.clear();
      sinks.clear();
      putAside.clear();
    }
  }
}
