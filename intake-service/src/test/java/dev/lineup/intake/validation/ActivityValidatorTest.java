package dev.lineup.intake.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.Activity;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LockPayload;
import dev.lineup.intake.content.ContentStore;
import dev.lineup.intake.validation.ActivityDraft.Given;
import dev.lineup.service.problem.ApiException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rule 15, field by field, at the validator both front doors share: every bound is refused one past
 * it, naming the field, and taken at it. A {@code lock} is the base activity: its payload needs no
 * content store, so these run without a database (the stack tests cover the rest).
 */
class ActivityValidatorTest {

  private static final Instant ACCEPTED = Instant.parse("2026-12-03T10:00:00Z");
  private static final String SELF = UUID.randomUUID().toString();

  private final ActivityValidator validator =
      new ActivityValidator(new ContentStore(null), 65_536, 1_048_576);

  /** A valid lock, every optional field given. */
  private static ActivityDraft lock() {
    return new ActivityDraft(
        SELF,
        Given.text("lock"),
        Map.of("message", "locked by IT"),
        Given.text("default"),
        5,
        List.of(UUID.randomUUID().toString()),
        Given.text("2026-12-04T10:00:00Z"),
        "dedupe-1",
        new ActivityDraft.Retry(3, 1_000L, 2.0),
        60_000L,
        new ActivityDraft.Initiator(
            Given.text("user"), "u-1", "it@example.com", "IT desk", "https://example.com/a.png"));
  }

  private static ActivityDraft with(ActivityDraft d, UnaryOperator<Builder> change) {
    return change.apply(new Builder(d)).build();
  }

  /** A copy of a draft with one field changed. */
  private static final class Builder {
    String activityId;
    Given<dev.lineup.avro.ActivityType> type;
    Map<String, Object> payload;
    Given<Lane> lane;
    Integer priority;
    List<String> dependsOn;
    Given<Instant> notBefore;
    String dedupeKey;
    ActivityDraft.Retry retry;
    Long timeoutMs;
    ActivityDraft.Initiator initiator;

    Builder(ActivityDraft d) {
      activityId = d.activityId();
      type = d.type();
      payload = d.payload();
      lane = d.lane();
      priority = d.priority();
      dependsOn = d.dependsOn();
      notBefore = d.notBefore();
      dedupeKey = d.dedupeKey();
      retry = d.retry();
      timeoutMs = d.timeoutMs();
      initiator = d.initiator();
    }

    ActivityDraft build() {
      return new ActivityDraft(
          activityId,
          type,
          payload,
          lane,
          priority,
          dependsOn,
          notBefore,
          dedupeKey,
          retry,
          timeoutMs,
          initiator);
    }
  }

  private static ActivityDraft.Initiator initiator(
      String kind, String actorId, String email, String name) {
    return new ActivityDraft.Initiator(Given.text(kind), actorId, email, name, null);
  }

  private static List<String> uuids(int n) {
    return Stream.generate(() -> UUID.randomUUID().toString()).limit(n).toList();
  }

  static Stream<Arguments> oneFieldPastItsBound() {
    String k1025 = "k".repeat(1_025);
    return Stream.of(
        Arguments.of("activity_id", with(lock(), b -> set(b, () -> b.activityId = "lock-1"))),
        Arguments.of("type", with(lock(), b -> set(b, () -> b.type = Given.text("teleport")))),
        Arguments.of("type", with(lock(), b -> set(b, () -> b.type = null))),
        Arguments.of("payload", with(lock(), b -> set(b, () -> b.payload = null))),
        Arguments.of("lane", with(lock(), b -> set(b, () -> b.lane = Given.text("fast")))),
        Arguments.of("lane", with(lock(), b -> set(b, () -> b.lane = Given.text("bypass")))),
        Arguments.of("priority", with(lock(), b -> set(b, () -> b.priority = 1_000_001))),
        Arguments.of("priority", with(lock(), b -> set(b, () -> b.priority = -1_000_001))),
        Arguments.of("priority", with(lock(), b -> set(b, () -> b.priority = Integer.MIN_VALUE))),
        Arguments.of("depends_on", with(lock(), b -> set(b, () -> b.dependsOn = uuids(101)))),
        Arguments.of("depends_on[0]", with(lock(), b -> set(b, () -> b.dependsOn = List.of("x")))),
        Arguments.of("depends_on[0]", with(lock(), b -> set(b, () -> b.dependsOn = List.of(SELF)))),
        Arguments.of(
            "depends_on[0]",
            with(lock(), b -> set(b, () -> b.dependsOn = Collections.singletonList(null)))),
        Arguments.of(
            "not_before", with(lock(), b -> set(b, () -> b.notBefore = Given.text("tomorrow")))),
        Arguments.of(
            "not_before",
            with(
                lock(),
                b -> set(b, () -> b.notBefore = Given.typed(Instant.EPOCH.minusMillis(1))))),
        Arguments.of(
            "not_before",
            with(
                lock(),
                b ->
                    set(
                        b,
                        () ->
                            b.notBefore =
                                Given.typed(ACCEPTED.plus(Duration.ofDays(365)).plusMillis(1))))),
        Arguments.of("dedupe_key", with(lock(), b -> set(b, () -> b.dedupeKey = k1025))),
        Arguments.of("dedupe_key", with(lock(), b -> set(b, () -> b.dedupeKey = "a\u0000b"))),
        Arguments.of(
            "retry.max_attempts",
            with(lock(), b -> set(b, () -> b.retry = new ActivityDraft.Retry(0, null, null)))),
        Arguments.of(
            "retry.max_attempts",
            with(lock(), b -> set(b, () -> b.retry = new ActivityDraft.Retry(21, null, null)))),
        Arguments.of(
            "retry.backoff_ms",
            with(lock(), b -> set(b, () -> b.retry = new ActivityDraft.Retry(2, -1L, null)))),
        Arguments.of(
            "retry.backoff_ms",
            with(
                lock(),
                b -> set(b, () -> b.retry = new ActivityDraft.Retry(2, 86_400_001L, null)))),
        Arguments.of(
            "retry.backoff_multiplier",
            with(lock(), b -> set(b, () -> b.retry = new ActivityDraft.Retry(2, 10L, 0.5)))),
        Arguments.of(
            "retry.backoff_multiplier",
            with(lock(), b -> set(b, () -> b.retry = new ActivityDraft.Retry(2, 10L, 10.01)))),
        Arguments.of(
            "retry.backoff_multiplier",
            with(lock(), b -> set(b, () -> b.retry = new ActivityDraft.Retry(2, 10L, Double.NaN)))),
        Arguments.of("timeout_ms", with(lock(), b -> set(b, () -> b.timeoutMs = 999L))),
        Arguments.of("timeout_ms", with(lock(), b -> set(b, () -> b.timeoutMs = 604_800_001L))),
        Arguments.of(
            "timeout_ms", with(lock(), b -> set(b, () -> b.timeoutMs = 10_000_000_000_000_000L))),
        Arguments.of(
            "initiator.kind",
            with(lock(), b -> set(b, () -> b.initiator = initiator("robot", "r", null, null)))),
        Arguments.of(
            "initiator.actor_id",
            with(lock(), b -> set(b, () -> b.initiator = initiator("user", null, null, null)))),
        Arguments.of(
            "initiator.actor_id",
            with(
                lock(), b -> set(b, () -> b.initiator = initiator("user", "u\u0007", null, null)))),
        Arguments.of(
            "initiator.email",
            with(lock(), b -> set(b, () -> b.initiator = initiator("user", "u", k1025, null)))),
        Arguments.of(
            "initiator.name",
            with(lock(), b -> set(b, () -> b.initiator = initiator("user", "u", null, k1025)))),
        Arguments.of(
            "payload.message",
            with(lock(), b -> set(b, () -> b.payload = Map.of("message", "m".repeat(1_025))))),
        Arguments.of(
            "payload.via", with(lock(), b -> set(b, () -> b.payload = Map.of("via", "pigeon")))));
  }

  private static Builder set(Builder b, Runnable change) {
    change.run();
    return b;
  }

  private static List<String> fieldsRefused(ThrowingCall call) {
    try {
      call.run();
    } catch (ApiException e) {
      assertThat(e.problem().status()).isEqualTo(400);
      return e.problem().errors().stream().map(f -> f.field()).toList();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("accepted");
  }

  private interface ThrowingCall {
    void run() throws Exception;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oneFieldPastItsBound")
  void aFieldPastItsBoundIsRefusedNamingIt(String field, ActivityDraft draft) {
    assertThat(fieldsRefused(() -> validator.validate("mac-1", draft, ACCEPTED)))
        .containsExactly(field);
  }

  @Test
  void theBaseLockIsTakenAsGiven() throws Exception {
    Activity activity = validator.validate("mac-1", lock(), ACCEPTED);

    assertThat(activity.getActivityId()).isEqualTo(SELF);
    assertThat(activity.getHostId()).isEqualTo("mac-1");
    assertThat(activity.getPriority()).isEqualTo(5);
    assertThat(activity.getTimeoutMs()).isEqualTo(60_000L);
    assertThat(activity.getRetry().getMaxAttempts()).isEqualTo(3);
    assertThat(activity.getInitiator().getKind()).isEqualTo(InitiatorKind.USER);
    assertThat(((LockPayload) activity.getPayload()).getMessage()).isEqualTo("locked by IT");
  }

  @Test
  void everyBoundItselfIsTaken() throws Exception {
    String k1024 = "k".repeat(1_024);
    ActivityDraft atBounds =
        new ActivityDraft(
            null,
            Given.text("lock"),
            Map.of("message", "m".repeat(1_024)),
            null,
            -1_000_000,
            uuids(100),
            Given.typed(ACCEPTED.plus(Duration.ofDays(365))),
            k1024,
            new ActivityDraft.Retry(20, 86_400_000L, 10.0),
            604_800_000L,
            new ActivityDraft.Initiator(Given.text("user"), k1024, k1024, k1024, k1024));

    Activity activity = validator.validate("h".repeat(255), atBounds, ACCEPTED);

    assertThat(activity.getPriority()).isEqualTo(-1_000_000);
    assertThat(activity.getDependsOn()).hasSize(100);
    assertThat(activity.getTimeoutMs()).isEqualTo(604_800_000L);
    assertThat(activity.getRetry().getBackoffMultiplier()).isEqualTo(10.0);
    assertThat(activity.getLane()).isEqualTo(Lane.DEFAULT);
    // The lower bounds too.
    Activity low =
        validator.validate(
            "h",
            with(
                lock(),
                b ->
                    set(
                        b,
                        () -> {
                          b.timeoutMs = 1_000L;
                          b.retry = new ActivityDraft.Retry(1, 0L, 1.0);
                          b.notBefore = Given.typed(Instant.EPOCH);
                        })),
            ACCEPTED);
    assertThat(low.getTimeoutMs()).isEqualTo(1_000L);
  }

  @Test
  void everyInvalidFieldIsNamedAtOnce() {
    ActivityDraft twoWrong =
        with(
            lock(),
            b ->
                set(
                    b,
                    () -> {
                      b.priority = 2_000_000;
                      b.timeoutMs = 1L;
                      b.lane = Given.text("fast");
                    }));

    assertThat(fieldsRefused(() -> validator.validate("mac-1", twoWrong, ACCEPTED)))
        .containsExactlyInAnyOrder("priority", "timeout_ms", "lane");
  }

  @Test
  void aHostIdOutsideRule15IsRefusedNamingIt() {
    for (String host : List.of("", "h".repeat(256), "*", "mac\u0000", "mac\n1")) {
      assertThat(fieldsRefused(() -> validator.validate(host, lock(), ACCEPTED)))
          .as("host id %s", host.length() > 10 ? host.length() + " characters" : host)
          .containsExactly("host_id");
    }
  }

  @Test
  void anMdmQueryGoesToTheBypassLaneWhateverItAsks() throws Exception {
    ActivityDraft query =
        with(
            lock(),
            b ->
                set(
                    b,
                    () -> {
                      b.type = Given.text("mdm_query");
                      b.lane = Given.text("default");
                      b.payload =
                          Map.of(
                              "platform",
                              "apple",
                              "request_type",
                              "DeviceInformation",
                              "command_uuid",
                              "q-1",
                              "raw_command",
                              java.util.Base64.getEncoder().encodeToString("raw".getBytes()));
                    }));

    assertThat(validator.validate("mac-1", query, ACCEPTED).getLane()).isEqualTo(Lane.BYPASS);
  }
}
