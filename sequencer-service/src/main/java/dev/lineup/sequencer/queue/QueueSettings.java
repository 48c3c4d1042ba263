package dev.lineup.sequencer.queue;

import dev.lineup.avro.ActivityType;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Every knob of the queue rules. Defaults live in the sequencer's application-sequencer.yml; see
 * {@link #defaults()} for the same values in code (tests).
 *
 * @param ranking release order among ready activities
 * @param agingStep waiting this long raises effective priority by one ({@link Ranking#AGING})
 * @param maxUpcomingPerLane more upcoming activities in one host lane are REJECTED (QUEUE_FULL)
 * @param maxUpcomingAge older upcoming activities end EXPIRED (STALE)
 * @param leaseByType lease length of a released activity by type, unless it names its own
 * @param defaultLease lease length of a type missing from {@code leaseByType}
 * @param systemReleasesPerSecond release budget of system-initiated activities, per task
 * @param systemReleaseBurst how many system releases the budget saves up
 * @param finishedRetention how long a finished activity is remembered, for dependencies and
 *     duplicates
 * @param cancelMatchingPerStep upcoming activities a selector cancel looks at per step (one step
 *     when it arrives, one per tick after), so no step outlasts the transaction timeout
 */
public record QueueSettings(
    Ranking ranking,
    Duration agingStep,
    int maxUpcomingPerLane,
    Duration maxUpcomingAge,
    Map<ActivityType, Duration> leaseByType,
    Duration defaultLease,
    double systemReleasesPerSecond,
    double systemReleaseBurst,
    Duration finishedRetention,
    int cancelMatchingPerStep) {

  public QueueSettings {
    Objects.requireNonNull(ranking);
    leaseByType = Map.copyOf(leaseByType);
    if (maxUpcomingPerLane < 1) {
      throw new IllegalArgumentException("maxUpcomingPerLane must be at least 1");
    }
    if (cancelMatchingPerStep < 1) {
      throw new IllegalArgumentException("cancelMatchingPerStep must be at least 1");
    }
  }

  public static QueueSettings defaults() {
    return new QueueSettings(
        Ranking.PRIORITY,
        Duration.ofMinutes(1),
        10_000,
        Duration.ofDays(7),
        Map.of(
            ActivityType.SCRIPT_RUN, Duration.ofMinutes(10),
            ActivityType.SOFTWARE_INSTALL, Duration.ofHours(1),
            ActivityType.SOFTWARE_UNINSTALL, Duration.ofHours(1)),
        Duration.ofHours(24),
        100,
        100,
        Duration.ofDays(1),
        10_000);
  }

  public QueueSettings withRanking(Ranking value) {
    return new QueueSettings(
        value,
        agingStep,
        maxUpcomingPerLane,
        maxUpcomingAge,
        leaseByType,
        defaultLease,
        systemReleasesPerSecond,
        systemReleaseBurst,
        finishedRetention,
        cancelMatchingPerStep);
  }

  public QueueSettings withMaxUpcomingPerLane(int value) {
    return new QueueSettings(
        ranking,
        agingStep,
        value,
        maxUpcomingAge,
        leaseByType,
        defaultLease,
        systemReleasesPerSecond,
        systemReleaseBurst,
        finishedRetention,
        cancelMatchingPerStep);
  }

  public QueueSettings withSystemBudget(double perSecond, double burst) {
    return new QueueSettings(
        ranking,
        agingStep,
        maxUpcomingPerLane,
        maxUpcomingAge,
        leaseByType,
        defaultLease,
        perSecond,
        burst,
        finishedRetention,
        cancelMatchingPerStep);
  }

  public QueueSettings withMaxUpcomingAge(Duration value) {
    return new QueueSettings(
        ranking,
        agingStep,
        maxUpcomingPerLane,
        value,
        leaseByType,
        defaultLease,
        systemReleasesPerSecond,
        systemReleaseBurst,
        finishedRetention,
        cancelMatchingPerStep);
  }

  public QueueSettings withFinishedRetention(Duration value) {
    return new QueueSettings(
        ranking,
        agingStep,
        maxUpcomingPerLane,
        maxUpcomingAge,
        leaseByType,
        defaultLease,
        systemReleasesPerSecond,
        systemReleaseBurst,
        value,
        cancelMatchingPerStep);
  }

  public QueueSettings withCancelMatchingPerStep(int value) {
    return new QueueSettings(
        ranking,
        agingStep,
        maxUpcomingPerLane,
        maxUpcomingAge,
        leaseByType,
        defaultLease,
        systemReleasesPerSecond,
        systemReleaseBurst,
        finishedRetention,
        value);
  }

  Duration lease(ActivityType type) {
    return leaseByType.getOrDefault(type, defaultLease);
  }
}
