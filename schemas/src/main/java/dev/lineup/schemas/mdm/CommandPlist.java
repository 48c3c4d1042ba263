package dev.lineup.schemas.mdm;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The top-level {@code CommandUUID} of an Apple MDM command plist: the UUID its device will name
 * when it acknowledges the command, so the one Lineup must match results by. Intake takes it as
 * {@code command_uuid} when none is given and refuses a {@code command_uuid} the plist contradicts;
 * the gateway sends a raw command only if the two agree. One reading for both.
 *
 * <p>The bytes come from anyone allowed to enqueue, so the parser is the JDK's with every way out
 * closed: no external DTD (an Apple plist's DOCTYPE names one by URL; it is not fetched), no
 * external entity, no XInclude, secure processing on (which caps entity expansion), and a document
 * that declares a DTD of its own (an internal subset, where entities are declared) is refused: no
 * Apple plist has one.
 */
public final class CommandPlist {

  /** Why a raw command has no CommandUUID Lineup can rely on. */
  public enum Reason {
    /** Not an XML plist: binary plists, SyncML, JSON, anything that does not parse. */
    NOT_A_PLIST,
    /** A plist whose top level is not one dict. */
    NOT_ONE_DICT,
    /** No top-level CommandUUID string. */
    MISSING,
    /** CommandUUID named twice, or not as a string: servers disagree on which one counts. */
    AMBIGUOUS
  }

  /**
   * A raw command without a CommandUUID Lineup can rely on. {@link #reason()} is safe to show
   * anyone; the message may quote the parser, and so parts of the input.
   */
  public static final class Unreadable extends Exception {
    private final Reason reason;

    Unreadable(Reason reason, String message) {
      super(message);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  private static final String COMMAND_UUID = "CommandUUID";

  private CommandPlist() {}

  /** The top-level CommandUUID of {@code plist}. */
  public static String commandUuid(byte[] plist) throws Unreadable {
    Document document;
    try {
      document = parser().parse(new ByteArrayInputStream(plist));
    } catch (Exception e) {
      throw new Unreadable(
          Reason.NOT_A_PLIST, "the raw command is not an XML plist: " + e.getMessage());
    }
    if (document.getDoctype() != null && document.getDoctype().getInternalSubset() != null) {
      throw new Unreadable(Reason.NOT_A_PLIST, "the raw command declares a DTD of its own");
    }
    Element root = document.getDocumentElement();
    List<Element> top = children(root);
    if (!root.getTagName().equals("plist") || top.size() != 1 || !isTag(top.get(0), "dict")) {
      throw new Unreadable(Reason.NOT_ONE_DICT, "the raw command is not a plist holding one dict");
    }
    List<Element> entries = children(top.get(0));
    String found = null;
    for (int i = 0; i + 1 < entries.size(); i += 2) {
      Element key = entries.get(i);
      if (isTag(key, "key") && COMMAND_UUID.equals(key.getTextContent())) {
        Element value = entries.get(i + 1);
        if (found != null || !isTag(value, "string")) {
          throw new Unreadable(Reason.AMBIGUOUS, "the raw command's CommandUUID is ambiguous");
        }
        found = value.getTextContent();
      }
    }
    if (found == null) {
      throw new Unreadable(Reason.MISSING, "the raw command has no CommandUUID");
    }
    return found;
  }

  /**
   * The parser's settings, made once: finding and configuring a JAXP implementation reads the class
   * path, which cost intake's Kafka front door about a sixth of its time when it made one per MDM
   * command (docs/BENCHMARKS.md, finding 37). A factory is not thread-safe: used under its lock.
   */
  private static final DocumentBuilderFactory FACTORY = factory();

  /**
   * One parser per thread, kept: a parser is not thread-safe, but is reused across documents. Its
   * security settings are the factory's, fixed when it is made; its handlers are set once, below,
   * and nothing else ever sees it; and each parse starts afresh (the parser reinitialises itself,
   * its entity-expansion counts included, for every document), so nothing of one document, refused
   * or not, reaches the next.
   */
  private static final ThreadLocal<DocumentBuilder> PARSERS =
      ThreadLocal.withInitial(CommandPlist::newParser);

  private static DocumentBuilderFactory factory() {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
      factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      factory.setXIncludeAware(false);
      factory.setExpandEntityReferences(false);
      factory.setNamespaceAware(false);
      return factory;
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK's XML parser refuses a security setting", e);
    }
  }

  private static DocumentBuilder newParser() {
    DocumentBuilder builder;
    synchronized (FACTORY) {
      try {
        builder = FACTORY.newDocumentBuilder();
      } catch (ParserConfigurationException e) {
        throw new IllegalStateException("the JDK's XML parser refuses a security setting", e);
      }
    }
    // Fatal errors are thrown, not printed to stderr as the default handler does.
    builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());
    // Nothing is ever resolved: an entity or DTD that would need fetching reads as empty.
    builder.setEntityResolver(
        (publicId, systemId) -> new org.xml.sax.InputSource(new java.io.StringReader("")));
    return builder;
  }

  /** This thread's parser, with every way out closed. */
  private static DocumentBuilder parser() {
    return PARSERS.get();
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
}
