package dev.lineup.sequencer.stream;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.LifecycleEvent;
import dev.lineup.avro.ReasonCode;
import dev.lineup.schemas.Topics;
import dev.lineup.sequencer.queue.Release;
import dev.lineup.sequencer.queue.ReleaseBudget;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The sequencer's own meters, counted as a step's output is sent ({@link SequencerProcessor}): a
 * step that throws counts nothing. Labels are enums only (state, type, reason), never a host or an
 * activity. The hot path is an array index by ordinals; a meter is looked up in the registry once,
 * the first time its labels occur.
 *
 * <p><b>Exactly-once.</b> The output is sent into the task's Kafka transaction, and a transaction
 * can still abort after it (the task fenced or crashed before its commit); its records are then
 * made again by the task's next owner, and counted again. So these counters count at least once: a
 * rebalance or a crash can over-count the records of the transactions it aborted (at most one
 * commit interval of a task's output). Counting them exactly would take reading {@code
 * lineup.events} read_committed, a consumer of its own; the ledger has the exact numbers.
 */
public final class SequencerMetrics {

  /** Buckets of the hand-off histogram, from a few milliseconds to a minute. */
  private static final Duration[] HANDOFF_BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60)
  };

  private static final ActivityState[] STATES = ActivityState.values();
  private static final ActivityType[] TYPES = ActivityType.values();
  private static final ReasonCode[] REASONS = ReasonCode.values();

  private final MeterRegistry registry;
  private final AtomicReferenceArray<Counter> events =
      new AtomicReferenceArray<>(STATES.length * TYPES.length * REASONS.length);
  private final Counter[] releases = new Counter[TYPES.length];
  private final Counter[] retries = new Counter[TYPES.length];
  private final Counter[] leaseExpiries = new Counter[TYPES.length];
  private final Timer handoff;
  private final Counter handoffCommits;

  /** The release budgets of the tasks this instance runs now. */
  private final Set<ReleaseBudget> budgets = ConcurrentHashMap.newKeySet();

  public SequencerMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (ActivityType type : TYPES) {
      String t = label(type);
      releases[type.ordinal()] =
          Counter.builder("lineup.releases")
              .description("Activities released to their channel, retries included")
              .tag("type", t)
              .register(registry);
      retries[type.ordinal()] =
          Counter.builder("lineup.retries")
              .description("Releases of an activity after its first (attempt 2 and on)")
              .tag("type", t)
              .register(registry);
      leaseExpiries[type.ordinal()] =
          Counter.builder("lineup.lease.expiries")
              .description("Released or delivered activities whose lease ran out")
              .tag("type", t)
              .register(registry);
    }
    handoff =
        Timer.builder("lineup.handoff")
            .description(
                "From a result (its record's time) to the release it let go on the same host")
            .serviceLevelObjectives(HANDOFF_BUCKETS)
            .register(registry);
    handoffCommits =
        Counter.builder("lineup.handoff.commits")
            .description(
                "Commits asked for before the commit interval's end, so that a release just made"
                    + " reaches its device sooner")
            .register(registry);
    FunctionCounter.builder(
            "lineup.dead.letters",
            SequencerDeadLetters.class,
            c -> SequencerDeadLetters.deadLettered())
        .description("Records a consumer refused and sent to its dead-letter topic")
        .tag("topic", Topics.SEQUENCER_DLQ.name())
        .tag("consumer", SequencerDeadLetters.CONSUMER)
        .register(registry);
    Gauge.builder("lineup.release.budget.tokens", budgets, SequencerMetrics::tokens)
        .description(
            "Tokens left for releases of system-initiated activities (rule 10) in the emptiest"
                + " budget of this instance's tasks: near 0, some hosts' system work waits")
        .register(registry);
  }

  /**
   * The emptiest task's tokens: each task has its own budget, so a sum would hide one that ran dry
   * behind the full ones. NaN while this instance runs no task.
   */
  private static double tokens(Set<ReleaseBudget> budgets) {
    long now = System.currentTimeMillis();
    double tokens = Double.NaN;
    for (ReleaseBudget budget : budgets) {
      double left = budget.tokensAt(now);
      tokens = Double.isNaN(tokens) ? left : Math.min(tokens, left);
    }
    return tokens;
  }

  /** A task's budget, counted in the gauge while the task runs here. */
  void budgetOpened(ReleaseBudget budget) {
    budgets.add(budget);
  }

  /** The task closed, or moved to another instance. */
  void budgetClosed(ReleaseBudget budget) {
    budgets.remove(budget);
  }

  /** Meters that go nowhere: for topologies run without a service (tests, benchmarks). */
  public static SequencerMetrics none() {
    return new SequencerMetrics(new CompositeMeterRegistry());
  }

  /** A lifecycle event sent. */
  void event(LifecycleEvent event) {
    ActivityType type = event.getType() == null ? ActivityType.UNKNOWN_TYPE : event.getType();
    int i =
        (event.getState().ordinal() * TYPES.length + type.ordinal()) * REASONS.length
            + event.getReason().ordinal();
    Counter counter = events.get(i);
    if (counter == null) {
      counter =
          Counter.builder("lineup.lifecycle.events")
              .description(
                  "Lifecycle events: an activity entering a state (or a note repeating it), by the"
                      + " state, the activity's type and the reason")
              .tag("state", event.getState().name())
              .tag("type", label(type))
              .tag("reason", event.getReason().name())
              .register(registry);
      events.set(i, counter);
    }
    counter.increment();
    if (event.getReason() == ReasonCode.LEASE_EXPIRED) {
      leaseExpiries[type.ordinal()].increment();
    }
  }

  /**
   * A release sent; {@code resultAt} is the time of the result whose step released it, or -1 when
   * no result let it go.
   */
  void release(Release release, long resultAt) {
    int type = release.type().ordinal();
    releases[type].increment();
    if (release.attempt() > 1) {
      retries[type].increment();
    }
    if (resultAt >= 0) {
      handoff.record(Math.max(0, release.releasedAt() - resultAt), TimeUnit.MILLISECONDS);
    }
  }

  /** A commit asked for early, for a release ({@link HandoffCommits}). */
  void handoffCommit() {
    handoffCommits.increment();
  }

  private static String label(ActivityType type) {
    return type.name();
  }
}
