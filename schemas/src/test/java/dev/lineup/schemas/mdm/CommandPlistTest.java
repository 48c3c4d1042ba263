package dev.lineup.schemas.mdm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The top-level CommandUUID of an Apple MDM command plist, read from input anyone may send: no
 * external entity, external DTD or entity expansion is ever followed.
 */
class CommandPlistTest {

  private static final String DOCTYPE =
      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\""
          + " \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">";

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String plist(String dict) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + DOCTYPE
        + "\n<plist version=\"1.0\"><dict>"
        + dict
        + "</dict></plist>";
  }

  /** A server of DTDs that declare {@code remote}, counting what it is asked for. */
  private static HttpServer dtdServer(AtomicInteger fetched) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          fetched.incrementAndGet();
          byte[] dtd = "<!ENTITY remote \"from-the-network\">".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, dtd.length);
          exchange.getResponseBody().write(dtd);
          exchange.close();
        });
    server.start();
    return server;
  }

  @Test
  void anAppleCommandPlistNamesItsCommandUuid() throws Exception {
    String command =
        plist(
            "<key>Command</key><dict><key>RequestType</key><string>RestartDevice</string>"
                + "<key>CommandUUID</key><string>nested-is-not-it</string></dict>"
                + "<key>CommandUUID</key><string>0C1D2E3F-top-level</string>");

    assertThat(CommandPlist.commandUuid(bytes(command))).isEqualTo("0C1D2E3F-top-level");
  }

  @Test
  void aPlistWithoutACommandUuidHasNone() {
    assertRefused(
        plist("<key>RequestType</key><string>DeviceInformation</string>"),
        CommandPlist.Reason.MISSING);
  }

  @Test
  void aCommandUuidNamedTwiceIsAmbiguous() {
    assertRefused(
        plist(
            "<key>CommandUUID</key><string>a</string>"
                + "<key>CommandUUID</key><string>b</string>"),
        CommandPlist.Reason.AMBIGUOUS);
  }

  @Test
  void somethingThatIsNotAnXmlPlistIsRefused() {
    for (String notOne :
        new String[] {
          "bplist00\u0000\u0001binary",
          "<SyncML><SyncBody><Exec><CmdID>1</CmdID></Exec></SyncBody></SyncML>",
          "{\"CommandUUID\":\"json\"}",
          ""
        }) {
      assertThatThrownBy(() -> CommandPlist.commandUuid(bytes(notOne)))
          .as(notOne)
          .isInstanceOf(CommandPlist.Unreadable.class);
    }
  }

  @Test
  void anExternalEntityIsNeverReadIntoTheUuid() {
    String hostile =
        "<?xml version=\"1.0\"?><!DOCTYPE plist [<!ENTITY leak SYSTEM \"file:///etc/hostname\">]>"
            + "<plist><dict><key>CommandUUID</key><string>&leak;</string></dict></plist>";

    assertRefused(hostile, CommandPlist.Reason.NOT_A_PLIST);
  }

  @Test
  void anExternalDtdIsNeverFetched() throws Exception {
    AtomicInteger fetched = new AtomicInteger();
    HttpServer server = dtdServer(fetched);
    try {
      String at = "http://127.0.0.1:" + server.getAddress().getPort();
      String hostile =
          "<?xml version=\"1.0\"?><!DOCTYPE plist SYSTEM \""
              + at
              + "/plist.dtd\" [<!ENTITY % more SYSTEM \""
              + at
              + "/more.dtd\"> %more;]>"
              + "<plist><dict><key>CommandUUID</key><string>&remote;</string></dict></plist>";

      assertRefused(hostile, CommandPlist.Reason.NOT_A_PLIST);
      assertThat(fetched).hasValue(0);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void nestedEntityExpansionIsRefusedQuickly() {
    StringBuilder laughs = new StringBuilder("<!ENTITY l0 \"lol\">");
    for (int i = 1; i <= 10; i++) {
      laughs.append("<!ENTITY l").append(i).append(" \"");
      laughs.append(("&l" + (i - 1) + ";").repeat(10)).append("\">");
    }
    String hostile =
        "<?xml version=\"1.0\"?><!DOCTYPE plist ["
            + laughs
            + "]><plist><dict><key>CommandUUID</key><string>&l10;</string></dict></plist>";
    Instant start = Instant.now();

    assertThatThrownBy(() -> CommandPlist.commandUuid(bytes(hostile)))
        .isInstanceOf(CommandPlist.Unreadable.class);
    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aThreadsParserIsReusedWithEveryWayOutStillClosed() throws Exception {
    AtomicInteger fetched = new AtomicInteger();
    HttpServer server = dtdServer(fetched);
    try {
      String at = "http://127.0.0.1:" + server.getAddress().getPort();
      String good = plist("<key>CommandUUID</key><string>good</string>");
      // No internal subset, so not refused: only the closed ways out keep the entity unread.
      String remote =
          "<?xml version=\"1.0\"?><!DOCTYPE plist SYSTEM \""
              + at
              + "/plist.dtd\"><plist><dict><key>CommandUUID</key><string>&remote;</string>"
              + "</dict></plist>";
      for (int i = 0; i < 3; i++) {
        // A refused document leaves nothing behind for the next, and a good one opens nothing.
        assertThat(CommandPlist.commandUuid(bytes(good))).isEqualTo("good");
        // The DTD is not fetched, so the entity stays undeclared and reads as nothing.
        assertThat(CommandPlist.commandUuid(bytes(remote))).doesNotContain("network");
        assertRefused("<plist><dict>", CommandPlist.Reason.NOT_A_PLIST);
      }
      assertThat(fetched).hasValue(0);
    } finally {
      server.stop(0);
    }
  }

  @Test
  void threadsReadTheirOwnPlistsAtOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> reads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        reads.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 200; i++) {
                    String uuid = "t" + thread + "-" + i;
                    String read =
                        CommandPlist.commandUuid(
                            bytes(plist("<key>CommandUUID</key><string>" + uuid + "</string>")));
                    if (!uuid.equals(read)) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (var read : reads) {
        assertThat(read.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Reading {@code document}'s CommandUUID is refused for {@code reason}. */
  private static void assertRefused(String document, CommandPlist.Reason reason) {
    assertThatThrownBy(() -> CommandPlist.commandUuid(bytes(document)))
        .isInstanceOfSatisfying(
            CommandPlist.Unreadable.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}
