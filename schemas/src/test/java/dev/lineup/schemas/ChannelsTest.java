package dev.lineup.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.Via;
import dev.lineup.avro.WipePayload;
import org.junit.jupiter.api.Test;

class ChannelsTest {

  @Test
  void scriptsGoToScriptInstallersToInstallerAndTheRestToMdm() {
    assertThat(Channels.of(ActivityType.SCRIPT_RUN, null)).isEqualTo(Channel.SCRIPT);
    assertThat(Channels.of(ActivityType.SOFTWARE_INSTALL, null)).isEqualTo(Channel.INSTALLER);
    assertThat(Channels.of(ActivityType.SOFTWARE_UNINSTALL, null)).isEqualTo(Channel.INSTALLER);
    for (ActivityType type :
        new ActivityType[] {
          ActivityType.MDM_COMMAND,
          ActivityType.MDM_QUERY,
          ActivityType.PROFILE_INSTALL,
          ActivityType.PROFILE_REMOVE,
          ActivityType.APP_STORE_INSTALL
        }) {
      assertThat(Channels.of(type, null)).as(type.name()).isEqualTo(Channel.MDM);
    }
  }

  @Test
  void aLockOrWipeFollowsItsViaAndGoesByMdmUnlessToldOtherwise() {
    assertThat(Channels.of(ActivityType.LOCK, LockPayload.newBuilder().build()))
        .isEqualTo(Channel.MDM);
    assertThat(Channels.of(ActivityType.LOCK, LockPayload.newBuilder().setVia(Via.SCRIPT).build()))
        .isEqualTo(Channel.SCRIPT);
    assertThat(Channels.of(ActivityType.WIPE, WipePayload.newBuilder().build()))
        .isEqualTo(Channel.MDM);
    assertThat(Channels.of(ActivityType.WIPE, WipePayload.newBuilder().setVia(Via.SCRIPT).build()))
        .isEqualTo(Channel.SCRIPT);
  }

  @Test
  void anUnknownTypeHasNoKnownChannelAndSoNoTopic() {
    assertThat(Channels.of(ActivityType.UNKNOWN_TYPE, null)).isEqualTo(Channel.UNKNOWN_CHANNEL);
  }

  @Test
  void everyKnownTypeHasAReleasedTopic() {
    for (ActivityType type : ActivityType.values()) {
      if (type == ActivityType.UNKNOWN_TYPE) {
        continue;
      }
      Object payload =
          switch (type) {
            case LOCK -> LockPayload.newBuilder().build();
            case WIPE -> WipePayload.newBuilder().build();
            default -> null;
          };
      assertThat(Topics.released(Channels.of(type, payload))).isIn(Topics.RELEASED);
    }
  }
}
