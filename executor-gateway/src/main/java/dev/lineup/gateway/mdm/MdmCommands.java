package dev.lineup.gateway.mdm;

import dev.lineup.avro.Activity;
import dev.lineup.avro.AppStoreInstallPayload;
import dev.lineup.avro.LockPayload;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.avro.Platform;
import dev.lineup.avro.ProfileInstallPayload;
import dev.lineup.avro.ProfileRemovePayload;
import dev.lineup.gateway.agent.ContentSource;
import dev.lineup.schemas.mdm.CommandPlist;
import dev.lineup.service.kafka.Failures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The Apple MDM command (a plist) of an activity, and its command UUID: the raw command of an
 * {@code mdm_command} or {@code mdm_query}, or one built for {@code profile_install} (the signed
 * profile from the content store), {@code profile_remove}, {@code app_store_install}, {@code lock}
 * and {@code wipe}.
 *
 * <p>Results come back by command UUID, and the device (through the MDM server) only knows the one
 * inside the plist. A raw command whose own {@code CommandUUID} is missing or differs from the
 * activity's {@code command_uuid} would be acknowledged under a UUID Lineup does not match, or
 * under one it sent for another activity; such a command is not sent. A built command's UUID is the
 * activity id, so every attempt of an activity sends the same command (NanoMDM keys commands by
 * UUID: a crash between sending and recording does not queue it twice).
 */
final class MdmCommands {

  /** An App Store id as Apple's InstallApplication takes it: the number in its store URL. */
  private static final Pattern STORE_ID = Pattern.compile("[0-9]{1,20}");

  private MdmCommands() {}

  /** Whether {@code activity} is one for an Apple device: what an Apple MDM server can send. */
  static boolean isApple(Activity activity) {
    Object payload = activity.getPayload();
    Platform platform = Platform.APPLE; // lock and wipe name none: the MDM server takes them
    if (payload instanceof MdmCommandPayload p) {
      platform = p.getPlatform();
    } else if (payload instanceof ProfileInstallPayload p) {
      platform = p.getPlatform();
    } else if (payload instanceof ProfileRemovePayload p) {
      platform = p.getPlatform();
    } else if (payload instanceof AppStoreInstallPayload p) {
      platform = p.getPlatform();
    }
    return platform == Platform.APPLE;
  }

  static MdmChannel.Command of(Activity activity, ContentSource contents)
      throws UndeliverableCommand, Failures.TransientFailure, InterruptedException {
    String uuid = activity.getActivityId();
    Object payload = activity.getPayload();
    if (payload instanceof MdmCommandPayload mdm) {
      return raw(mdm);
    }
    if (payload instanceof ProfileInstallPayload profile) {
      return new MdmChannel.Command(
          uuid,
          plist(
              uuid,
              "InstallProfile",
              "<key>Payload</key><data>"
                  + Base64.getEncoder().encodeToString(profile(profile, contents))
                  + "</data>"));
    }
    if (payload instanceof ProfileRemovePayload profile) {
      return new MdmChannel.Command(
          uuid,
          plist(
              uuid,
              "RemoveProfile",
              "<key>Identifier</key>" + string(profile.getProfileIdentifier())));
    }
    if (payload instanceof AppStoreInstallPayload app) {
      if (!STORE_ID.matcher(app.getAppStoreId()).matches()) {
        throw new UndeliverableCommand(
            "app_store_id " + app.getAppStoreId() + " is not an App Store id (a number)");
      }
      return new MdmChannel.Command(
          uuid,
          plist(
              uuid,
              "InstallApplication",
              "<key>iTunesStoreID</key><integer>"
                  + app.getAppStoreId()
                  + "</integer>"
                  // Removed with the MDM profile: a managed app leaves with its management.
                  + "<key>ManagementFlags</key><integer>1</integer>"));
    }
    if (payload instanceof LockPayload lock) {
      // The lock PIN is never on a topic; an MDM server that needs one generates it.
      return new MdmChannel.Command(
          uuid,
          plist(
              uuid,
              "DeviceLock",
              lock.getMessage() == null ? "" : "<key>Message</key>" + string(lock.getMessage())));
    }
    if (activity.getType() == dev.lineup.avro.ActivityType.WIPE) {
      return new MdmChannel.Command(uuid, plist(uuid, "EraseDevice", ""));
    }
    throw new UndeliverableCommand(
        activity.getType().name().toLowerCase(Locale.ROOT)
            + " has no MDM command this adapter can build");
  }

  private static MdmChannel.Command raw(MdmCommandPayload mdm) throws UndeliverableCommand {
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

  /** The signed profile from intake's content store. */
  private static byte[] profile(ProfileInstallPayload profile, ContentSource contents)
      throws UndeliverableCommand, Failures.TransientFailure, InterruptedException {
    try {
      return contents
          .fetch(profile.getProfileSha256())
          .orElseThrow(
              () ->
                  new UndeliverableCommand(
                      "the profile "
                          + profile.getProfileSha256()
                          + " is not in the content store"));
    } catch (IOException e) {
      throw new Failures.TransientFailure("the content store did not answer: " + e, e);
    }
  }

  /** The top-level {@code CommandUUID} of an XML plist, read as intake reads it. */
  private static String commandUuidIn(byte[] plist) throws UndeliverableCommand {
    try {
      return CommandPlist.commandUuid(plist);
    } catch (CommandPlist.Unreadable e) {
      throw new UndeliverableCommand(e.getMessage());
    }
  }

  /**
   * A plist string. Characters XML 1.0 forbids (control characters but tab, newline and carriage
   * return; U+FFFE and U+FFFF), which free text such as a lock message may hold, become U+FFFD: the
   * command stays a plist the MDM server can read.
   */
  private static String string(String value) {
    StringBuilder xml = new StringBuilder(value.length() + 17).append("<string>");
    value
        .codePoints()
        .forEach(
            c -> {
              switch (c) {
                case '&' -> xml.append("&amp;");
                case '<' -> xml.append("&lt;");
                case '>' -> xml.append("&gt;");
                default -> {
                  boolean forbidden =
                      (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                          || c == 0xFFFE
                          || c == 0xFFFF;
                  xml.appendCodePoint(forbidden ? 0xFFFD : c);
                }
              }
            });
    return xml.append("</string>").toString();
  }

  private static byte[] plist(String commandUuid, String requestType, String fields) {
    return ("""
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        <dict>
          <key>Command</key>
          <dict>
            <key>RequestType</key>
            <string>%s</string>%s
          </dict>
          <key>CommandUUID</key>
          <string>%s</string>
        </dict>
        </plist>
        """)
        .formatted(requestType, fields, commandUuid)
        .getBytes(StandardCharsets.UTF_8);
  }
}
