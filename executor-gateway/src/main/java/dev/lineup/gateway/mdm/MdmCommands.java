package dev.lineup.gateway.mdm;

import dev.lineup.avro.Activity;
import dev.lineup.avro.MdmCommandPayload;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The raw MDM command (an Apple MDM plist) of an activity, and its command UUID. */
final class MdmCommands {

  record Raw(String commandUuid, byte[] plist) {}

  private MdmCommands() {}

  static Raw of(Activity activity) {
    Object payload = activity.getPayload();
    if (payload instanceof MdmCommandPayload mdm) {
      ByteBuffer bytes = mdm.getRawCommand().duplicate();
      byte[] raw = new byte[bytes.remaining()];
      bytes.get(raw);
      return new Raw(mdm.getCommandUuid(), raw);
    }
    // Lock and wipe carry no raw command: the command UUID is the activity id. The lock PIN is
    // never on a topic; an MDM server that needs one generates it.
    return switch (activity.getType()) {
      case LOCK -> new Raw(activity.getActivityId(), plist(activity.getActivityId(), "DeviceLock"));
      case WIPE ->
          new Raw(activity.getActivityId(), plist(activity.getActivityId(), "EraseDevice"));
      default ->
          throw new IllegalArgumentException(
              activity.getType() + " has no MDM command this adapter can build");
    };
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
