package dev.lineup.schemas;

import dev.lineup.avro.ActivityType;
import dev.lineup.avro.Channel;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.Via;
import dev.lineup.avro.WipePayload;

/**
 * Which channel an activity is delivered on (CONTRACT.md, {@code channel}): derived from its type,
 * never given. Each channel has its own released topic ({@link Topics#released}).
 */
public final class Channels {

  private Channels() {}

  /**
   * The channel of an activity of {@code type} with {@code payload} (its Avro payload record): a
   * lock or wipe follows its payload's {@code via}; an unknown type has no known channel.
   */
  public static Channel of(ActivityType type, Object payload) {
    return switch (type) {
      case MDM_COMMAND, MDM_QUERY, PROFILE_INSTALL, PROFILE_REMOVE, APP_STORE_INSTALL ->
          Channel.MDM;
      case SCRIPT_RUN -> Channel.SCRIPT;
      case SOFTWARE_INSTALL, SOFTWARE_UNINSTALL -> Channel.INSTALLER;
      case LOCK -> via(((LockPayload) payload).getVia());
      case WIPE -> via(((WipePayload) payload).getVia());
      case UNKNOWN_TYPE -> Channel.UNKNOWN_CHANNEL;
    };
  }

  private static Channel via(Via via) {
    return via == Via.SCRIPT ? Channel.SCRIPT : Channel.MDM;
  }
}
