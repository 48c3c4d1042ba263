package dev.lineup.schemas;

import dev.lineup.avro.ActivityState;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.ReasonCode;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The lifecycle of CONTRACT.md, said once: which states end an activity, which mean it is released
 * to a device, which reasons are notes that change no state, and what can no longer be cancelled
 * once released. Intake, the gateway, the bench and the tests ask here instead of listing states of
 * their own, so a list can never fall out of step with the contract.
 */
public final class Lifecycle {

  /** The states an accepted activity ends in, exactly one per run. */
  public static final Set<ActivityState> TERMINAL =
      Collections.unmodifiableSet(
          EnumSet.of(
              ActivityState.SUCCEEDED,
              ActivityState.FAILED,
              ActivityState.CANCELLED,
              ActivityState.EXPIRED,
              ActivityState.REJECTED));

  /**
   * Released to a device and not ended yet, whether or not the device said it has it: what holds
   * its lane (rule 1) and what a cancel can no longer take back from a lock or wipe (rule 5).
   */
  public static final Set<ActivityState> RELEASED =
      Collections.unmodifiableSet(EnumSet.of(ActivityState.RELEASED, ActivityState.DELIVERED));

  /**
   * The states that end an activity other than by its device's report: its task credential stops
   * working and none of its attempts may be handed out any more (the events on {@code
   * lineup.revocations}).
   */
  public static final Set<ActivityState> ENDED_ELSEWHERE =
      Collections.unmodifiableSet(EnumSet.of(ActivityState.CANCELLED, ActivityState.EXPIRED));

  /**
   * Reasons of events that restate the activity's state instead of changing it: a duplicate enqueue
   * or result, a late result, a refused cancel ("notes keep the state").
   */
  public static final Set<ReasonCode> NOTES =
      Collections.unmodifiableSet(
          EnumSet.of(ReasonCode.DUPLICATE, ReasonCode.LATE_RESULT, ReasonCode.NOT_CANCELLABLE));

  /**
   * Types a cancel cannot stop once released (rule 5): a lock or wipe may already be under way on
   * the device, and the caller must not be told it was prevented.
   */
  public static final Set<ActivityType> UNCANCELLABLE_ONCE_RELEASED =
      Collections.unmodifiableSet(EnumSet.of(ActivityType.LOCK, ActivityType.WIPE));

  private Lifecycle() {}

  public static boolean isTerminal(ActivityState state) {
    return TERMINAL.contains(state);
  }

  public static boolean isReleased(ActivityState state) {
    return RELEASED.contains(state);
  }

  public static boolean isNote(ReasonCode reason) {
    return NOTES.contains(reason);
  }

  /**
   * Whether this event revokes its activity's deliveries: it ends the activity other than by a
   * report, and is not a note restating an end already announced.
   */
  public static boolean revokes(ActivityState state, ReasonCode reason) {
    return ENDED_ELSEWHERE.contains(state) && !isNote(reason);
  }

  public static boolean isCancellableOnceReleased(ActivityType type) {
    return !UNCANCELLABLE_ONCE_RELEASED.contains(type);
  }

  /**
   * The state a stored name stands for (the ledger and the sequencer's records keep names): {@code
   * UNKNOWN_STATE} for a name this build does not know, as an Avro reader does with a new symbol,
   * so a newer writer's state reads as neither terminal nor released instead of failing.
   */
  public static ActivityState state(String name) {
    return symbol(ActivityState.class, name, ActivityState.UNKNOWN_STATE);
  }

  /** The type a stored name stands for, in either case; {@code UNKNOWN_TYPE} if unknown. */
  public static ActivityType type(String name) {
    return symbol(ActivityType.class, name, ActivityType.UNKNOWN_TYPE);
  }

  private static <E extends Enum<E>> E symbol(Class<E> type, String name, E unknown) {
    if (name == null) {
      return unknown;
    }
    try {
      return Enum.valueOf(type, name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return unknown;
    }
  }
}
