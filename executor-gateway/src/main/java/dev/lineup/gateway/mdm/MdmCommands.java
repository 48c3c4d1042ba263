package dev.lineup.gateway.mdm;

import dev.lineup.avro.Activity;
import dev.lineup.avro.MdmCommandPayload;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The raw MDM command (an Apple MDM plist) of an activity, and its command UUID.
 *
 * <p>Results come back by command UUID, and the device (through the MDM server) only knows the one
 * inside the plist. A raw command whose own {@code CommandUUID} is missing or differs from the
 * activity's {@code command_uuid} would be acknowledged under a UUID Lineup does not match, or
 * under one it sent for another activity; such a command is not sent.
 */
final class MdmCommands {

  private static final String COMMAND_UUID = "CommandUUID";

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

  /**
   * The top-level {@code CommandUUID} of an XML plist. A plist that does not parse, or names it
   * twice (servers disagree on which one counts), has none Lineup can rely on.
   */
  private static String commandUuidIn(byte[] plist) throws UndeliverableCommand {
    Element root;
    try {
      root = parser().parse(new ByteArrayInputStream(plist)).getDocumentElement();
    } catch (Exception e) {
      throw new UndeliverableCommand("the raw command is not an XML plist: " + e.getMessage());
    }
    List<Element> top = children(root);
    if (!root.getTagName().equals("plist") || top.size() != 1 || !isTag(top.get(0), "dict")) {
      throw new UndeliverableCommand("the raw command is not a plist holding one dict");
    }
    List<Element> entries = children(top.get(0));
    String found = null;
    for (int i = 0; i + 1 < entries.size(); i += 2) {
      Element key = entries.get(i);
      if (isTag(key, "key") && COMMAND_UUID.equals(key.getTextContent())) {
        Element value = entries.get(i + 1);
        if (found != null || !isTag(value, "string")) {
          throw new UndeliverableCommand("the raw command's CommandUUID is ambiguous");
        }
        found = value.getTextContent();
      }
    }
    if (found == null) {
      throw new UndeliverableCommand("the raw command has no CommandUUID");
    }
    return found;
  }

  /** A parser that reads no external DTD or entity: the plist DOCTYPE names Apple's DTD by URL. */
  private static DocumentBuilder parser() throws ParserConfigurationException {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
    factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
    factory.setXIncludeAware(false);
    factory.setExpandEntityReferences(false);
    DocumentBuilder builder = factory.newDocumentBuilder();
    // Fatal errors are thrown, not printed to stderr as the default handler does.
    builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());
    return builder;
  }

  private static List<Element> children(Element parent) {
    List<Element> elements = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) {
        elements.add(e);
      }
    }
    return elements;
  }

  private static boolean isTag(Element element, String tag) {
    return element.getTagName().equals(tag);
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
