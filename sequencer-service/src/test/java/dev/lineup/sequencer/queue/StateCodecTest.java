package dev.lineup.sequencer.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityResult;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.sequencer.state.ActivityRecord;
import dev.lineup.sequencer.state.HostRecord;
import dev.lineup.sequencer.state.LaneSlot;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

/**
 * State written by the previous release, read by this one: a store restored from its changelog
 * after an upgrade holds records in the old schema.
 */
class StateCodecTest {

  private static final long NOW = Instant.parse("2026-11-24T10:00:00Z").toEpochMilli();

  private final SortedStore store = InMemorySortedStore.withSectionBounds();
  private final RecordingOutbox outbox = new RecordingOutbox();
  private final List<ReleasedActivity> released = outbox.released;
  private final HostQueues queues = new HostQueues(store, QueueSettings.defaults(), outbox);

  @Test
  void aHostRecordWrittenBeforeReadyCountsIsCountedFromItsIndexAndItsQueueMovesOn()
      throws Exception {
    queues.pause("mac-1");
    for (int i = 1; i <= 3; i++) {
      queues.enqueue(script("a" + i), false, NOW);
    }
    HostRecord current = StateCodec.host(Section.HOSTS.of(store).get(KeyParts.id("mac-1")));
    Section.HOSTS.of(store).put(KeyParts.id("mac-1"), inVersion(current, "HostRecord/v1"));

    HostRecord upgraded = new StoredQueues(store).host("mac-1").orElseThrow().record();
    assertThat(upgraded.getReadyCounts()).containsExactly(3, 0, 0, 0, 0, 0);

    queues.resume("mac-1", NOW);
    assertThat(released).extracting(r -> r.getActivity().getActivityId()).containsExactly("a1");
    queues.onResult(succeeded("a1"), NOW);
    assertThat(released)
        .extracting(r -> r.getActivity().getActivityId())
        .containsExactly("a1", "a2");
  }

  @Test
  void anActivityRecordWrittenBeforeTheDependentsFlagIsTakenToHaveDependents() throws Exception {
    queues.enqueue(script("a1"), false, NOW);
    ActivityRecord current =
        StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id("a1")));
    assertThat(current.getHasDependents()).isFalse();

    ActivityRecord old = StateCodec.activity(inVersion(current, "ActivityRecord/v1"));

    assertThat(old.getHasDependents()).isTrue();
    assertThat(old.getActivityId()).isEqualTo("a1");
    assertThat(old.getRank()).isEqualTo(current.getRank());
  }

  @Test
  void recordsWrittenBeforeHostLeaseChecksKeepTheirLeaseDeadlineAndMayHaveKeptTheirPayload()
      throws Exception {
    queues.enqueue(script("a1"), false, NOW);
    ActivityRecord current =
        StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id("a1")));
    HostRecord host = StateCodec.host(Section.HOSTS.of(store).get(KeyParts.id("mac-1")));
    assertThat(current.getLeaseIndexed()).isFalse();
    assertThat(current.getPayloadMayOutliveRelease()).isFalse();
    assertThat(host.getLeaseCheckAt()).isNotNull();

    ActivityRecord old = StateCodec.activity(inVersion(current, "ActivityRecord/v2"));
    HostRecord oldHost = StateCodec.host(inVersion(host, "HostRecord/v2"));

    assertThat(old.getLeaseIndexed()).isTrue();
    assertThat(old.getPayloadMayOutliveRelease()).isTrue();
    assertThat(old.getLeaseExpiresAt()).isEqualTo(current.getLeaseExpiresAt());
    assertThat(oldHost.getLeaseCheckAt()).isNull();
    assertThat(oldHost.getHostId()).isEqualTo("mac-1");
  }

  @Test
  void recordsWrittenBeforeHostStaleChecksKeepTheirStaleDeadline() throws Exception {
    // a1 is released (the host's lease check), a2 waits behind it (its stale check).
    queues.enqueue(script("a1"), false, NOW);
    queues.enqueue(script("a2"), false, NOW);
    ActivityRecord current =
        StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id("a2")));
    HostRecord host = StateCodec.host(Section.HOSTS.of(store).get(KeyParts.id("mac-1")));
    assertThat(current.getStaleIndexed()).isFalse();
    assertThat(host.getStaleCheckAt()).isEqualTo(current.getStaleAt());

    ActivityRecord old = StateCodec.activity(inVersion(current, "ActivityRecord/v4"));
    HostRecord oldHost = StateCodec.host(inVersion(host, "HostRecord/v3"));

    assertThat(old.getStaleIndexed()).isTrue();
    assertThat(old.getStaleAt()).isEqualTo(current.getStaleAt());
    assertThat(oldHost.getStaleCheckAt()).isNull();
    assertThat(oldHost.getLeaseCheckAt()).isNotNull().isEqualTo(host.getLeaseCheckAt());
  }

  @Test
  void anActivityRecordWrittenBeforeV4IsReleasedWithTheChannelAndLeaseItsPayloadAsksFor()
      throws Exception {
    queues.pause("mac-1");
    Activity lock =
        Activity.newBuilder(script("lock"))
            .setType(ActivityType.LOCK)
            .setChannel(Channel.MDM)
            .setTimeoutMs(90_000L)
            .setPayload(LockPayload.newBuilder().build())
            .build();
    queues.enqueue(lock, false, NOW);
    ActivityRecord current =
        StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id("lock")));
    assertThat(current.getChannel()).isEqualTo("MDM");
    assertThat(current.getTimeoutMs()).isEqualTo(90_000L);

    byte[] v3 = storeAsWrittenBy(current, "ActivityRecord/v3");
    assertThat(StateCodec.activity(v3).getChannel()).isNull();
    queues.resume("mac-1", NOW);

    assertThat(released).hasSize(1);
    assertThat(released.get(0).getActivity()).isEqualTo(lock);
    assertThat(released.get(0).getLeaseExpiresAt()).isEqualTo(Instant.ofEpochMilli(NOW + 90_000));
    assertThat(outbox.releasedTo).containsExactly("lineup.released.mdm");
  }

  @Test
  void anActivityAcceptedBeforePayloadsWereKeptInRecordsIsReleasedFromThePayloadsSection()
      throws Exception {
    queues.pause("mac-1");
    Activity waiting = script("a1");
    queues.enqueue(waiting, false, NOW);
    ActivityRecord current =
        StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id("a1")));
    assertThat(current.getPayload()).as("the payload, in the record").isNotNull();
    assertThat(Section.PAYLOADS.of(store).get(KeyParts.id("a1"))).isNull();

    byte[] v5 = storeAsWrittenBy(current, "ActivityRecord/v5");
    assertThat(StateCodec.activity(v5).getPayload()).isNull();
    assertThat(Section.PAYLOADS.of(store).get(KeyParts.id("a1"))).isNotNull();
    queues.resume("mac-1", NOW);

    assertThat(released).hasSize(1);
    assertThat(released.get(0).getActivity()).isEqualTo(waiting);
    assertThat(Section.PAYLOADS.of(store).get(KeyParts.id("a1")))
        .as("its payload, once its last attempt is released")
        .isNull();
  }

  @Test
  void anActivityWaitedForIsFlaggedAndItsEndReleasesItsDependent() {
    queues.enqueue(script("first"), false, NOW);
    Activity second = Activity.newBuilder(script("second")).setDependsOn(List.of("first")).build();
    queues.enqueue(second, false, NOW);

    assertThat(
            StateCodec.activity(Section.ACTIVITIES.of(store).get(KeyParts.id("first")))
                .getHasDependents())
        .isTrue();
    queues.onResult(succeeded("first"), NOW);
    assertThat(released)
        .extracting(r -> r.getActivity().getActivityId())
        .containsExactly("first", "second");
    assertThat(Section.DEPENDENTS.of(store).scan(new byte[0], 10)).isEmpty();
  }

  @Test
  void theGeneratedCodersWriteTheBytesAvrosMessageEncoderWritesAndReadThemBack() throws Exception {
    assertThat(StateCodec.MODEL.useCustomCoders()).isTrue();
    ActivityRecord everything =
        ActivityRecord.newBuilder()
            .setActivityId("a-1")
            .setHostId("mac-1")
            .setType("SCRIPT_RUN")
            .setLane("DEFAULT")
            .setState("UPCOMING")
            .setPriority(-3)
            .setBatchId("b-1")
            .setSeq(42)
            .setRank(ByteBuffer.wrap(new byte[] {1, 2, (byte) 0xFF}))
            .setSystemInitiated(true)
            .setAttempt(2)
            .setMaxAttempts(5)
            .setBackoffMs(1_500)
            .setBackoffMultiplier(1.5)
            .setPendingDependencies(1)
            .setReady(true)
            .setAcceptedAt(NOW)
            .setNotBefore(NOW + 1)
            .setLeaseExpiresAt(NOW + 2)
            .setRetryAt(NOW + 3)
            .setStaleAt(NOW + 4)
            .setForgetAt(NOW + 5)
            .setDedupeKey("k")
            .setEventSeq(7)
            .setHasDependents(false)
            .setLeaseIndexed(false)
            .setPayloadMayOutliveRelease(false)
            .setChannel("SCRIPT")
            .setTimeoutMs(60_000L)
            .build();
    ActivityRecord defaults =
        ActivityRecord.newBuilder()
            .setActivityId("a-2")
            .setHostId("mac-1")
            .setType("LOCK")
            .setLane("BYPASS")
            .setState("RELEASED")
            .setSeq(1)
            .setRank(ByteBuffer.wrap(new byte[0]))
            .setAcceptedAt(NOW)
            .build();
    for (ActivityRecord record : List.of(everything, defaults)) {
      byte[] reference = avroMessage(record);
      assertThat(StateCodec.encode(record)).isEqualTo(reference);
      assertThat(StateCodec.activity(reference)).isEqualTo(record);
    }

    HostRecord host =
        HostRecord.newBuilder()
            .setHostId("mac-1")
            .setPaused(true)
            .setNextSeq(9)
            .setDefaultLane(LaneSlot.newBuilder().setHolder("a-1").setUpcoming(3).build())
            .setSetupLane(LaneSlot.newBuilder().build())
            .setReadyCounts(List.of(3, 0, 0, 1, 0, 0))
            .setReadyBounds(2)
            .setLeaseCheckAt(NOW)
            .build();
    HostRecord fresh =
        HostRecord.newBuilder()
            .setHostId("mac-2")
            .setDefaultLane(LaneSlot.newBuilder().build())
            .setSetupLane(LaneSlot.newBuilder().build())
            .build();
    for (HostRecord record : List.of(host, fresh)) {
      byte[] reference = avroMessage(record);
      assertThat(StateCodec.encode(record)).isEqualTo(reference);
      assertThat(StateCodec.host(reference)).isEqualTo(record);
    }
  }

  /**
   * What Avro's own message encoder writes for {@code record}, its schema walked field by field.
   */
  private static byte[] avroMessage(SpecificRecordBase record) throws Exception {
    SpecificData walking = SpecificData.getForClass(record.getClass());
    assertThat(walking.useCustomCoders()).isFalse();
    ByteBuffer bytes = new BinaryMessageEncoder<>(walking, record.getSchema()).encode(record);
    byte[] out = new byte[bytes.remaining()];
    bytes.get(out);
    return out;
  }

  /** The record as an earlier release wrote it: its fields, in that release's schema. */
  private static byte[] inVersion(SpecificRecordBase record, String version) throws Exception {
    Schema schema = StateCodec.released(version);
    GenericRecord old = new GenericData.Record(schema);
    for (Schema.Field field : schema.getFields()) {
      old.put(field.name(), record.get(record.getSchema().getField(field.name()).pos()));
    }
    ByteBuffer bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(old);
    byte[] out = new byte[bytes.remaining()];
    bytes.get(out);
    return out;
  }

  /**
   * Stores an activity as {@code version} (v5 or before) wrote it: its record in that schema, and
   * the payload the record now holds in the payloads section, where those versions kept it. Answers
   * the record's bytes.
   */
  private byte[] storeAsWrittenBy(ActivityRecord current, String version) throws Exception {
    byte[] old = inVersion(current, version);
    byte[] payload = new byte[current.getPayload().remaining()];
    current.getPayload().duplicate().get(payload);
    Section.ACTIVITIES.of(store).put(KeyParts.id(current.getActivityId()), old);
    Section.PAYLOADS.of(store).put(KeyParts.id(current.getActivityId()), payload);
    return old;
  }

  private static Activity script(String id) {
    return Activity.newBuilder()
        .setActivityId(id)
        .setHostId("mac-1")
        .setType(ActivityType.SCRIPT_RUN)
        .setChannel(Channel.SCRIPT)
        .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("ab").build())
        .setInitiator(Initiator.newBuilder().setKind(InitiatorKind.USER).build())
        .setAcceptedAt(Instant.ofEpochMilli(NOW))
        .build();
  }

  private static ActivityResult succeeded(String id) {
    return ActivityResult.newBuilder()
        .setResultId("r-" + id)
        .setActivityId(id)
        .setHostId("mac-1")
        .setAttempt(1)
        .setKind(ResultKind.SUCCEEDED)
        .setOccurredAt(Instant.ofEpochMilli(NOW))
        .setExitCode(0)
        .build();
  }
}
