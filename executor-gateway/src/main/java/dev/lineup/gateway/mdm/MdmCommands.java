package dev.lineup.gateway.mdm;

import dev.lineup.avro.Activity;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.schemas.mdm.CommandPlist;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The raw MDM command (an Apple MDM plist) of an activity, and its command UUID.
 *
 * <p>Results come back by command UUID, and the device (through the MDM server) only knows the one
 * inside the plist. A raw command whose own {@code CommandUUID} is missing or differs from the
 * activity's {@code command_uuid} would be acknowledged under a UUID Lineup does not match, or
 * under one it sent for another activity; such a command is not sent.
 */
final class MdmCommands {

  private MdmCommands() {}

  static MdmChannel.Command of(Activity activity) throws UndeliverableCommand {
    Object payload = activity.getPayload();
    if (payload instanceof MdmCommandPayload mdm) {
      ByteBuffer bytes = mdm.getRawCommand().duplicate();
      byte[] raw = new byte[bytes.remaining()];
      bytes.get(raw);
      String inside = commandUuidIn(raw);
      if (!mdm.getCommandUuid().equals(inside)) {
        throw new UndeliverableCommand(
            "the raw command's CommandUUID ("
                + inside
                + ") is not the activity's command_uuid ("
                + mdm.getCommandUuid()
                + ")");
      }
      return new MdmChannel.Command(mdm.getCommandUuid(), raw);
    }
    // Lock and wipe carry no raw command: the command UUID is the activity id. The lock PIN is
    // never on a topic; an MDM server that needs one generates it.
    return switch (activity.getType()) {
      case LOCK ->
          new MdmChannel.Command(
              activity.getActivityId(), plist(activity.getActivityId(), "DeviceLock"));
      case WIPE ->
          new MdmChannel.Command(
              activity.getActivityId(), plist(activity.getActivityId(), "EraseDevice"));
      default ->
          throw new UndeliverableCommand(
              activity.getType().name().toLowerCase(java.util.Locale.ROOT)
                  + " has no MDM command this adapter can build; send it as an mdm_command"
                  + " with its raw command");
    };
  }

  /** The top-level {@code CommandUUID} of an XML plist, read as intake reads it. */
  private static String commandUuidIn(byte[] plist) throws UndeliverableCommand {
    try {
      return CommandPlist.commandUuid(plist);
    } catch (CommandPlist.Unreadable e) {
      throw new UndeliverableCommand(e.getMessage());
    }
  }

  private static byte[] plist(String commandUuid, String requestType) {
    return ("""
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        <dict>
          <key>Command</key>
          <dict>
            <key>RequestType</key>
            <string>%s</string>
          </dict>
          <key>CommandUUID</key>
          <string>%s</string>
        </dict>
        </plist>
        """)
        .formatted(requestType, commandUuid)
        .getBytes(StandardCharsets.UTF_8);
  }
}
