package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.Activity;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Cancel;
import dev.lineup.avro.CancelMatching;
import dev.lineup.avro.CancelUpcoming;
import dev.lineup.avro.Channel;
import dev.lineup.avro.Command;
import dev.lineup.avro.Enqueue;
import dev.lineup.avro.Initiator;
import dev.lineup.avro.Pause;
import dev.lineup.avro.Purge;
import dev.lineup.avro.Resume;
import dev.lineup.avro.ScriptRunPayload;
import dev.lineup.avro.Selector;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CommandsTest {

  private static final Instant AT = Instant.parse("2026-03-01T10:00:00.123456789Z");
  private static final Instant AT_MILLIS = Instant.parse("2026-03-01T10:00:00.123Z");

  private static Activity activity() {
    return Activity.newBuilder()
        .setActivityId("a-1")
        .setHostId("host-1")
        .setType(ActivityType.SCRIPT_RUN)
        .setChannel(Channel.SCRIPT)
        .setInitiator(Initiator.newBuilder().build())
        .setAcceptedAt(AT_MILLIS)
        .setPayload(ScriptRunPayload.newBuilder().setScriptSha256("ab".repeat(32)).build())
        .build();
  }

  @Test
  void anEnqueueGoesToItsActivitysHostIssuedWhenTheActivityWasAccepted() {
    Command command = Commands.enqueue(activity(), true);

    assertThat(command.getHostId()).isEqualTo("host-1");
    assertThat(command.getIssuedAt()).isEqualTo(AT_MILLIS);
    assertThat(command.getBody())
        .isEqualTo(Enqueue.newBuilder().setActivity(activity()).setPreempt(true).build());
  }

  @Test
  void eachHostCommandNamesItsHostAndCarriesItsBody() {
    assertThat(Commands.cancel("h", "a-1", AT).getBody())
        .isEqualTo(Cancel.newBuilder().setActivityId("a-1").build());
    assertThat(Commands.cancelUpcoming("h", AT).getBody()).isInstanceOf(CancelUpcoming.class);
    assertThat(Commands.pause("h", AT).getBody()).isInstanceOf(Pause.class);
    assertThat(Commands.resume("h", AT).getBody()).isInstanceOf(Resume.class);
    assertThat(Commands.purge("h", AT).getBody()).isInstanceOf(Purge.class);
    assertThat(Commands.purge("h", AT).getHostId()).isEqualTo("h");
  }

  @Test
  void aSelectorCancelIsKeyedToEveryPartitionsBroadcastKey() {
    Selector selector = Selector.newBuilder().setType(ActivityType.SCRIPT_RUN).build();

    Command command = Commands.cancelMatching("c-1", selector, AT);

    assertThat(command.getHostId()).isEqualTo(Topics.BROADCAST_KEY);
    assertThat(command.getBody())
        .isEqualTo(
            CancelMatching.newBuilder().setCancellationId("c-1").setSelector(selector).build());
  }

  @Test
  void everyCommandHasItsOwnIdAndTheTimeTheTopicKeepsSoItReadsBackEqual() {
    Command first = Commands.pause("h", AT);
    Command second = Commands.pause("h", AT);

    assertThat(first.getCommandId()).isNotEqualTo(second.getCommandId());
    assertThat(first.getIssuedAt()).isEqualTo(AT_MILLIS);
    var serde = Topics.COMMANDS.valueSerde();
    byte[] bytes = serde.serializer().serialize(Topics.COMMANDS.name(), first);
    assertThat(serde.deserializer().deserialize(Topics.COMMANDS.name(), bytes)).isEqualTo(first);
  }
}
