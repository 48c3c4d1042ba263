package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityRequest;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.InitiatorKind;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.ScriptRunPayload;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  static Command enqueueScript(String hostId, String activityId) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Activity activity =
        Activity.newBuilder()
            .setActivityId(activityId)
            .setHostId(hostId)
            .setType(ActivityType.SCRIPT_RUN)
            .setChannel(Channel.SCRIPT)
            .setInitiator(
                Initiator.newBuilder().setKind(InitiatorKind.USER).setEmail("a@b.c").build())
            .setAcceptedAt(now)
            .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("ab".repeat(32)).build())
            .build();
    return Command.newBuilder()
        .setCommandId("cmd-" + activityId)
        .setHostId(hostId)
        .setIssuedAt(now)
        .setBody(Enqueue.newBuilder().setActivity(activity).build())
        .build();
  }

  @Test
  void aCommandSurvivesTheRoundTripWithTimestampsAndItsPayloadType() {
    Command command = enqueueScript("host-1", "a-1");
    var serde = Topics.COMMANDS.valueSerde();

    byte[] bytes = serde.serializer().serialize(Topics.COMMANDS.name(), command);
    Command back = serde.deserializer().deserialize(Topics.COMMANDS.name(), bytes);

    assertThat(back).isEqualTo(command);
    assertThat(((Enqueue) back.getBody()).getActivity().getPayload())
        .isInstanceOf(ScriptRunPayload.class);
  }

  @Test
  void valuesUseSingleObjectEncoding() {
    byte[] bytes =
        Topics.COMMANDS.valueSerde().serializer().serialize("t", enqueueScript("h", "a"));

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
  }

  @Test
  void bytesThatAreNotALineupRecordFailWithASerializationException() {
    var deserializer = Topics.COMMANDS.valueSerde().deserializer();

    assertThatThrownBy(
            () -> deserializer.deserialize("t", "not avro".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Command");
  }

  /**
   * A record whose body names a union branch its schema does not have: Avro throws an
   * ArrayIndexOutOfBoundsException for it, not one of its own exceptions.
   */
  static byte[] requestWithAnOutOfRangeUnionIndex() {
    var requests = Topics.REQUESTS;
    byte[] bytes =
        requests
            .valueSerde()
            .serializer()
            .serialize(
                requests.name(),
                ActivityRequest.newBuilder()
                    .setHostId("h")
                    .setType(ActivityType.LOCK)
                    .setPayload(LockPayload.newBuilder().build())
                    .build());
    // After C3 01 and the 8-byte fingerprint: activity_id's union index, 0 (null). Zigzag 5 names
    // a sixth branch of a two-branch union.
    assertThat(bytes[10]).isZero();
    bytes[10] = 10;
    return bytes;
  }

  /**
   * A command whose first string (its id) claims a billion bytes: refused as undecodable before
   * anything is allocated, where Avro's own limit (2 GiB) let a service run out of heap on it.
   */
  @Test
  void aStringClaimingABillionBytesIsUndecodableNotAnOutOfMemoryError() {
    byte[] valid =
        Topics.COMMANDS.valueSerde().serializer().serialize("t", enqueueScript("h", "a"));
    java.io.ByteArrayOutputStream hostile = new java.io.ByteArrayOutputStream();
    hostile.write(valid, 0, 10); // the single-object header: marker and schema fingerprint
    long zigzag = 2L * 1_000_000_000; // a string length of one billion, as Avro writes it
    while ((zigzag & ~0x7FL) != 0) {
      hostile.write((int) ((zigzag & 0x7F) | 0x80));
      zigzag >>>= 7;
    }
    hostile.write((int) zigzag);
    hostile.write(valid, 11, valid.length - 11);

    assertThatThrownBy(
            () ->
                Topics.COMMANDS.valueSerde().deserializer().deserialize("t", hostile.toByteArray()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("String length 1000000000 exceeds maximum allowed")
        .hasRootCauseInstanceOf(org.apache.avro.SystemLimitException.class);
  }

  @Test
  void anOutOfRangeUnionIndexFailsWithASerializationException() {
    byte[] bytes = requestWithAnOutOfRangeUnionIndex();

    assertThatThrownBy(
            () ->
                Topics.REQUESTS
                    .valueSerde()
                    .deserializer()
                    .deserialize(Topics.REQUESTS.name(), bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("ActivityRequest");
  }

  @Test
  void aTombstoneStaysNull() {
    assertThat(Topics.COMMANDS.valueSerde().deserializer().deserialize("t", null)).isNull();
  }
}
