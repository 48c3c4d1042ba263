package dev.lineup.intake.schedule;

import dev.lineup.intake.validation.FieldErrors;
import io.micronaut.scheduling.cron.CronExpression;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;

/**
 * When a schedule fires: every fixed interval counted from its start, or at the times a five-field
 * cron expression names in its time zone. Firing times are slots: a firing is named by its slot, so
 * the same slot fired twice (a crash between the enqueue and the bookkeeping) is the same activity.
 * A scheduler that was away does not catch up on the slots it missed: it fires the one that is due
 * and moves on to the first slot after now.
 */
public sealed interface Recurrence {

  /** The shortest interval: a schedule is recurring work, not a loop. */
  Duration MIN_EVERY = Duration.ofMinutes(1);

  /** The longest interval: a year and a day, as a yearly schedule may need across a leap day. */
  Duration MAX_EVERY = Duration.ofDays(366);

  /** The first slot at or after {@code startAt}. */
  Instant first(Instant startAt);

  /** The first slot strictly after {@code after}. */
  Instant next(Instant after);

  /** ISO-8601 duration, as given back to readers; null for cron. */
  String every();

  /** The cron expression; null for an interval. */
  String cron();

  ZoneId zone();

  /**
   * Every {@code every} from {@code startAt}: slots at {@code startAt + k * every}.
   *
   * @param startAt the first slot; slots are counted from it
   */
  record Every(Duration interval, Instant startAt, ZoneId zone) implements Recurrence {
    @Override
    public Instant first(Instant from) {
      return from.isAfter(startAt) ? next(from.minusMillis(1)) : startAt;
    }

    @Override
    public Instant next(Instant after) {
      if (after.isBefore(startAt)) {
        return startAt;
      }
      long step = interval.toMillis();
      long passed = (after.toEpochMilli() - startAt.toEpochMilli()) / step + 1;
      return startAt.plusMillis(passed * step);
    }

    @Override
    public String every() {
      return interval.toString();
    }

    @Override
    public String cron() {
      return null;
    }
  }

  /** The times a cron expression (minute hour day-of-month month day-of-week) names in a zone. */
  record Cron(String expression, CronExpression parsed, ZoneId zone) implements Recurrence {
    @Override
    public Instant first(Instant from) {
      return next(from.minusMillis(1));
    }

    @Override
    public Instant next(Instant after) {
      return parsed.nextTimeAfter(ZonedDateTime.ofInstant(after, zone)).toInstant();
    }

    @Override
    public String every() {
      return null;
    }

    @Override
    public String cron() {
      return expression;
    }
  }

  /**
   * The recurrence a request or a stored schedule describes: exactly one of {@code every} and
   * {@code cron}; {@code startAt} counts the intervals; {@code zone} null is UTC. Problems are
   * added to {@code errors} under the request's field names, and the answer is then null.
   */
  static Recurrence of(
      String every, String cron, String zone, Instant startAt, FieldErrors errors) {
    ZoneId zoneId = ZoneId.of("UTC");
    boolean zoneKnown = true;
    if (zone != null) {
      try {
        zoneId = ZoneId.of(zone);
      } catch (DateTimeException e) {
        errors.add("time_zone", "must be an IANA time zone such as Europe/Paris");
        zoneKnown = false;
      }
    }
    Recurrence recurrence = parse(every, cron, zoneId, startAt, errors);
    return zoneKnown ? recurrence : null;
  }

  private static Recurrence parse(
      String every, String cron, ZoneId zoneId, Instant startAt, FieldErrors errors) {
    if ((every == null) == (cron == null)) {
      errors.add(every == null ? "every" : "cron", "give exactly one of every and cron");
      return null;
    }
    if (every != null) {
      Duration interval;
      try {
        interval = Duration.parse(every);
      } catch (DateTimeParseException e) {
        errors.add("every", "must be an ISO-8601 duration such as PT6H or P1D");
        return null;
      }
      if (interval.compareTo(MIN_EVERY) < 0 || interval.compareTo(MAX_EVERY) > 0) {
        errors.add("every", "must be PT1M to P366D");
        return null;
      }
      return new Every(interval, startAt, zoneId);
    }
    String[] fields = cron.trim().split("\\s+");
    if (cron.length() > 255 || fields.length != 5) {
      errors.add("cron", "must be five fields: minute hour day-of-month month day-of-week");
      return null;
    }
    CronExpression parsed;
    try {
      parsed = CronExpression.create(cron.trim());
      // An expression that never comes (the 30th of February) fails here, not at its first tick.
      parsed.nextTimeAfter(ZonedDateTime.ofInstant(startAt, zoneId));
    } catch (IllegalArgumentException e) {
      errors.add("cron", e.getMessage() == null ? "is not a cron expression" : e.getMessage());
      return null;
    }
    return new Cron(cron.trim(), parsed, zoneId);
  }
}
