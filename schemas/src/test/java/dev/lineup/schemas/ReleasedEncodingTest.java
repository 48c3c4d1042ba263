package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.Lane;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.RetryPolicy;
import dev.lineup.avro.ScriptRunPayload;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class ReleasedEncodingTest {

  private static final AvroSerde<Activity> ACTIVITIES = AvroSerde.of(Activity.class);
  private static final AvroSerde<ReleasedActivity> RELEASES = AvroSerde.of(ReleasedActivity.class);
  private static final Instant ACCEPTED = Instant.parse("2026-12-05T09:00:00.123Z");

  @Test
  void aReleaseBuiltAroundTheStoredActivityIsByteForByteTheEncodedRelease() {
    List<Activity> activities = List.of(bareScript(), everyOptionalField(), lockByMdm());
    int[] attempts = {1, 2, 63, 64, 1_000_000, Integer.MAX_VALUE};
    long[] times = {0, 1, ACCEPTED.toEpochMilli(), 253_402_300_799_999L, Long.MAX_VALUE};
    for (Activity activity : activities) {
      byte[] stored = ACTIVITIES.serialize("payloads", activity);
      for (int attempt : attempts) {
        for (long releasedAt : times) {
          long leaseExpiresAt = releasedAt == Long.MAX_VALUE ? releasedAt : releasedAt + 600_000;
          ReleasedActivity release =
              ReleasedActivity.newBuilder()
                  .setActivity(activity)
                  .setAttempt(attempt)
                  .setReleasedAt(Instant.ofEpochMilli(releasedAt))
                  .setLeaseExpiresAt(Instant.ofEpochMilli(leaseExpiresAt))
                  .build();

          byte[] spliced = ReleasedEncoding.encode(stored, attempt, releasedAt, leaseExpiresAt);

          assertThat(spliced)
              .as("%s, attempt %d, released at %d", activity.getActivityId(), attempt, releasedAt)
              .isEqualTo(RELEASES.serialize("lineup.released.script", release));
          assertThat(RELEASES.deserialize("lineup.released.script", spliced)).isEqualTo(release);
        }
      }
    }
  }

  @Test
  void onlyTheCurrentActivitySchemaIsSplicedAndAnythingElseGoesThroughTheDecoder() {
    byte[] stored = ACTIVITIES.serialize("payloads", bareScript());
    assertThat(ReleasedEncoding.inCurrentSchema(stored)).isTrue();

    // A release is not an activity: its header names another schema.
    byte[] release =
        RELEASES.serialize(
            "x",
            ReleasedActivity.newBuilder()
                .setActivity(bareScript())
                .setAttempt(1)
                .setReleasedAt(ACCEPTED)
                .setLeaseExpiresAt(ACCEPTED)
                .build());
    assertThat(ReleasedEncoding.inCurrentSchema(release)).isFalse();
    assertThat(ReleasedEncoding.inCurrentSchema(Arrays.copyOf(stored, 10))).isFalse();

    // Bytes of no known schema are refused as undecodable, never sent on as a release.
    byte[] unknown = stored.clone();
    unknown[5] ^= 0x5a;
    assertThatThrownBy(() -> ReleasedEncoding.encode(unknown, 1, 0, 0))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("cannot decode Activity");
  }

  private static Activity bareScript() {
    return Activity.newBuilder()
        .setActivityId("a-bare")
        .setHostId("mac-1")
        .setType(ActivityType.SCRIPT_RUN)
        .setChannel(Channel.SCRIPT)
        .setInitiator(Initiator.newBuilder().build())
        .setAcceptedAt(ACCEPTED)
        .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("ab".repeat(32)).build())
        .build();
  }

  private static Activity everyOptionalField() {
    return Activity.newBuilder(bareScript())
        .setActivityId("a-full-\u00e9\u6f22")
        .setLane(Lane.SETUP)
        .setPriority(-7)
        .setInitiator(
            Initiator.newBuilder()
                .setKind(InitiatorKind.USER)
                .setActorId("u-1")
                .setEmail("a@b.c")
                .setName("A \"B\" C")
                .setAvatarUrl("https://x/y.png")
                .build())
        .setDependsOn(List.of("a-0", "a-00"))
        .setNotBefore(ACCEPTED.plusSeconds(60))
        .setDedupeKey("k-1")
        .setRetry(
            RetryPolicy.newBuilder()
                .setMaxAttempts(5)
                .setBackoffMs(1_000)
                .setBackoffMultiplier(1.5)
                .build())
        .setTimeoutMs(86_400_000L)
        .setBatchId("b-1")
        .build();
  }

  private static Activity lockByMdm() {
    return Activity.newBuilder(bareScript())
        .setActivityId("a-lock")
        .setType(ActivityType.LOCK)
        .setChannel(Channel.MDM)
        .setPayload(LockPayload.newBuilder().setMessage("lost").build())
        .build();
  }
}
