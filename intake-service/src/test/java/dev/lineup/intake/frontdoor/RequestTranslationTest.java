package dev.lineup.intake.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.avro.Via;
import dev.lineup.intake.content.ContentStore;
import dev.lineup.intake.validation.ActivityDraft;
import dev.lineup.intake.validation.ActivityDraft.Given;
import dev.lineup.intake.validation.ActivityValidator;
import dev.lineup.service.problem.ApiException;
import dev.lineup.service.problem.Problem;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Both front doors share one validation: a request on {@code lineup.requests} becomes the same
 * activity as its JSON twin on HTTP, and is refused with the same fields and messages.
 */
class RequestTranslationTest {

  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

  // Lock payloads never touch the content store.
  private final ActivityValidator validator =
      new ActivityValidator(new ContentStore(null), 65_536, 1_048_576);

  @Test
  void aKafkaRequestBecomesTheSameActivityAsItsJsonTwin() throws Exception {
    String id = UUID.randomUUID().toString();
    String dependency = UUID.randomUUID().toString();
    ActivityRequest avro =
        lock(id)
            .setLane(Lane.SETUP)
            .setPriority(5)
            .setDependsOn(List.of(dependency))
            .setNotBefore(NOW.plus(Duration.ofHours(1)))
            .setDedupeKey("screen")
            .setRetry(
                RetryPolicy.newBuilder()
                    .setMaxAttempts(3)
                    .setBackoffMs(500)
                    .setBackoffMultiplier(1.5)
                    .build())
            .setTimeoutMs(60_000L)
            .setInitiator(
                Initiator.newBuilder()
                    .setKind(InitiatorKind.USER)
                    .setActorId("u-1")
                    .setEmail("a@b.c")
                    .build())
            .build();
    ActivityDraft json =
        new ActivityDraft(
            id,
            Given.text("LOCK"),
            Map.of("via", "script", "message", "lost"),
            Given.text("setup"),
            5,
            List.of(dependency),
            Given.text("2026-03-01T11:00:00Z"),
            "screen",
            new ActivityDraft.Retry(3, 500L, 1.5),
            60_000L,
            new ActivityDraft.Initiator(Given.text("user"), "u-1", "a@b.c", null, null));

    Activity fromKafka = validator.validate("mac-1", RequestTranslation.toDraft(avro), NOW);

    assertThat(fromKafka).isEqualTo(validator.validate("mac-1", json, NOW));
    assertThat(fromKafka.getNotBefore()).isEqualTo(NOW.plus(Duration.ofHours(1)));
  }

  @Test
  void anInvalidKafkaRequestIsRefusedNamingTheSameFieldsWithTheSameMessages() {
    String id = UUID.randomUUID().toString();
    ActivityRequest avro =
        lock(id)
            .setType(ActivityType.UNKNOWN_TYPE)
            .setNotBefore(Instant.parse("1969-12-31T23:59:59Z"))
            .setRetry(RetryPolicy.newBuilder().setMaxAttempts(0).build())
            .setInitiator(Initiator.newBuilder().setKind(InitiatorKind.USER).build())
            .build();
    ActivityDraft json =
        new ActivityDraft(
            id,
            Given.text("unknown_type"),
            Map.of("via", "script", "message", "lost"),
            null,
            0,
            List.of(),
            Given.text("1969-12-31T23:59:59Z"),
            null,
            new ActivityDraft.Retry(0, 0L, 2.0),
            null,
            new ActivityDraft.Initiator(Given.text("user"), null, null, null, null));

    List<Problem.FieldError> fromKafka = errors(RequestTranslation.toDraft(avro));

    assertThat(fromKafka)
        .extracting(Problem.FieldError::field)
        .containsExactly("type", "not_before", "retry.max_attempts", "initiator.actor_id");
    assertThat(fromKafka).isEqualTo(errors(json));
  }

  @Test
  void aLockInTheBypassLaneIsRefusedAtBothDoorsAlike() {
    String id = UUID.randomUUID().toString();
    ActivityRequest avro = lock(id).setLane(Lane.BYPASS).build();
    ActivityDraft json =
        new ActivityDraft(
            id,
            Given.text("lock"),
            Map.of("via", "script", "message", "lost"),
            Given.text("bypass"),
            0,
            List.of(),
            null,
            null,
            null,
            null,
            null);

    assertThat(errors(RequestTranslation.toDraft(avro)))
        .isEqualTo(errors(json))
        .containsExactly(new Problem.FieldError("lane", "only mdm_query runs in the bypass lane"));
  }

  private static ActivityRequest.Builder lock(String id) {
    return ActivityRequest.newBuilder()
        .setActivityId(id)
        .setHostId("mac-1")
        .setType(ActivityType.LOCK)
        .setPayload(LockPayload.newBuilder().setVia(Via.SCRIPT).setMessage("lost").build());
  }

  private List<Problem.FieldError> errors(ActivityDraft draft) {
    return catchThrowableOfType(ApiException.class, () -> validator.validate("mac-1", draft, NOW))
        .problem()
        .errors();
  }
}
