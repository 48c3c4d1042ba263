package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.lineup.avro.ActivityType;
import dev.lineup.avro.AppStoreInstallPayload;
import dev.lineup.avro.Channel;
import dev.lineup.avro.MdmCommandPayload;
import dev.lineup.avro.Platform;
import dev.lineup.avro.ReleasedActivity;
import dev.lineup.avro.ResultKind;
import dev.lineup.embedded.EmbeddedDatabase;
import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.embedded.TopicProbe;
import dev.lineup.schemas.Topics;
import io.micronaut.json.JsonMapper;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The nanomdm adapter against a small server that speaks NanoMDM's enqueue API: commands go out
 * with the API key, webhook results come back for the enrollment they were sent to, NotNow keeps an
 * activity pending. Commands that cannot be delivered end FAILED; while the server is down they
 * wait (and agents' tasks do not); cancelled ones are never sent.
 */
@ExtendWith(LineupInfrastructure.class)
class NanoMdmAdapterTest {

  private static final String ADMIN = "mdm-admin-token-0123456789";
  private static final String ENROLL = "mdm-enroll-secret-0123456789";
  private static final String WEBHOOK_SECRET = "mdm-webhook-secret-0123456789";
  private static final String REVOCATIONS_GROUP = "lineup-gateway-revocations";

  /** One PUT /v1/enqueue/{id} the fake NanoMDM received. */
  record Enqueued(String path, String authorization, String body) {}

  private static final List<Enqueued> received = new CopyOnWriteArrayList<>();

  /** What the fake answers, by enrollment id; 200 for the others. */
  private static final Map<String, Integer> answers = new ConcurrentHashMap<>();

  /** While set, the fake answers every enqueue 503, as a NanoMDM that is down behind a proxy. */
  private static volatile boolean down;

  /**
   * Enrollments whose device is online and quick: the fake has the device's Acknowledged webhook
   * answered by the gateway before it answers the enqueue itself.
   */
  private static final java.util.Set<String> acksAtOnce = ConcurrentHashMap.newKeySet();

  private static HttpServer nanomdm;
  private static LineupServices services;
  private static LineupClient intake;
  private static LineupClient gateway;
  private static TopicProbe topics;
  private static String kafkaBootstrap;

  @BeforeAll
  static void start(EmbeddedKafka kafka, EmbeddedDatabase database) throws Exception {
    nanomdm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    nanomdm.createContext(
        "/v1/enqueue/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          int status =
              down ? 503 : answers.getOrDefault(path.substring("/v1/enqueue/".length()), 200);
          if (status == 200) {
            received.add(
                new Enqueued(path, exchange.getRequestHeaders().getFirst("Authorization"), body));
            String enrollment = path.substring("/v1/enqueue/".length());
            if (acksAtOnce.contains(enrollment)) {
              ackAtOnce(enrollment, body);
            }
          }
          byte[] answer =
              (status == 200 ? "{}" : "{\"error\":\"refused with " + status + "\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
        });
    nanomdm.start();
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("mdm-state"),
                ADMIN,
                ENROLL,
                0,
                0,
                0,
                Map.of(
                    "lineup.gateway.mdm.adapter",
                    "nanomdm",
                    "lineup.gateway.mdm.nanomdm.url",
                    "http://127.0.0.1:" + nanomdm.getAddress().getPort(),
                    "lineup.gateway.mdm.nanomdm.api-key",
                    "nano-key",
                    "lineup.gateway.mdm.webhook-secret",
                    WEBHOOK_SECRET)));
    services.awaitHealthy(Duration.ofMinutes(2));
    JsonMapper json = services.intake().getBean(JsonMapper.class);
    intake = new LineupClient(services.intakeUrl(), ADMIN, json);
    gateway = new LineupClient(services.gatewayUrl(), null, json);
    topics = new TopicProbe(kafka.bootstrapServers());
    kafkaBootstrap = kafka.bootstrapServers();
  }

  @AfterEach
  void serverUp() {
    down = false;
  }

  @AfterAll
  static void stop() {
    if (topics != null) {
      topics.close();
    }
    if (services != null) {
      services.close();
    }
    if (nanomdm != null) {
      nanomdm.stop(0);
    }
  }

  /** The device's acknowledgement, through the gateway's webhook, before NanoMDM's own answer. */
  private static void ackAtOnce(String enrollment, String plist) {
    var uuid =
        java.util.regex.Pattern.compile("<key>CommandUUID</key>\\s*<string>([^<]*)</string>")
            .matcher(plist);
    try {
      if (uuid.find()) {
        webhook(WEBHOOK_SECRET, enrollment, uuid.group(1), "Acknowledged");
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void awaitState(String id, String state) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo(state));
  }

  private static List<Enqueued> sentTo(String host) {
    return received.stream().filter(e -> e.path().endsWith("/" + host)).toList();
  }

  private static LineupClient.Answer webhook(
      String secret, String enrollment, String commandUuid, String status) throws Exception {
    return webhook(secret, enrollment, commandUuid, status, "<plist/>");
  }

  private static LineupClient.Answer webhook(
      String secret, String enrollment, String commandUuid, String status, String rawPayload)
      throws Exception {
    return gateway.post(
        "/v1/mdm/webhook?secret=" + secret,
        "{\"topic\":\"mdm.Connect\",\"acknowledge_event\":{\"udid\":\""
            + enrollment
            + "\",\"enrollment_id\":\""
            + enrollment
            + "\",\"status\":\""
            + status
            + "\",\"command_uuid\":\""
            + commandUuid
            + "\",\"raw_payload\":\""
            + Base64.getEncoder().encodeToString(rawPayload.getBytes(StandardCharsets.UTF_8))
            + "\"}}");
  }

  /** An Apple MDM command plist naming {@code commandUuid}, as NanoMDM reads it. */
  private static String plist(String requestType, String commandUuid) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\""
        + " \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        + "<plist version=\"1.0\"><dict><key>Command</key><dict><key>RequestType</key><string>"
        + requestType
        + "</string></dict><key>CommandUUID</key><string>"
        + commandUuid
        + "</string></dict></plist>";
  }

  private static String enqueueMdmCommand(String host, String commandUuid, String plist)
      throws Exception {
    String raw = Base64.getEncoder().encodeToString(plist.getBytes(StandardCharsets.UTF_8));
    return intake
        .post(
            "/v1/hosts/" + host + "/activities",
            "{\"type\":\"mdm_command\",\"payload\":{\"platform\":\"apple\",\"request_type\":\"RestartDevice\","
                + "\"command_uuid\":\""
                + commandUuid
                + "\",\"raw_command\":\""
                + raw
                + "\"}}")
        .text("activity_id");
  }

  private static String enqueueLock(String host) throws Exception {
    return intake
        .post("/v1/hosts/" + host + "/activities", "{\"type\":\"lock\",\"payload\":{}}")
        .text("activity_id");
  }

  /** A release of a raw MDM command, as the sequencer writes it. */
  private static ReleasedActivity mdmRelease(String host, String commandUuid, String plist) {
    return TopicProbe.released(
        TopicProbe.activity(
            host,
            ActivityType.MDM_COMMAND,
            Channel.MDM,
            MdmCommandPayload.newBuilder()
                .setPlatform(Platform.APPLE)
                .setCommandUuid(commandUuid)
                .setRequestType("RestartDevice")
                .setRawCommand(ByteBuffer.wrap(plist.getBytes(StandardCharsets.UTF_8)))
                .build()),
        Instant.now().plus(Duration.ofHours(1)));
  }

  @Test
  void aLockGoesToNanoMdmAndItsWebhookEndsItNotNowKeepsItPending() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String lock = enqueueLock(host);

    awaitState(lock, "DELIVERED");
    Enqueued sent = sentTo(host).get(0);
    assertThat(sent.authorization())
        .isEqualTo(
            "Basic "
                + Base64.getEncoder()
                    .encodeToString("nanomdm:nano-key".getBytes(StandardCharsets.UTF_8)));
    assertThat(sent.body())
        .contains("<string>DeviceLock</string>")
        .contains("<string>" + lock + "</string>");

    assertThat(webhook(WEBHOOK_SECRET, host, lock, "NotNow").status()).isEqualTo(200);
    Thread.sleep(1000);
    assertThat(intake.get("/v1/activities/" + lock).text("state")).isEqualTo("DELIVERED");

    assertThat(webhook(WEBHOOK_SECRET, host, lock, "Acknowledged").status()).isEqualTo(200);
    awaitState(lock, "SUCCEEDED");
  }

  @Test
  void anAckThatArrivesBeforeNanoMdmAnswersTheEnqueueStillEndsTheActivity() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    acksAtOnce.add(host);
    String commandUuid = UUID.randomUUID().toString();

    String id = enqueueMdmCommand(host, commandUuid, plist("RestartDevice", commandUuid));
    String lock = enqueueLock(host);

    awaitState(id, "SUCCEEDED");
    awaitState(lock, "SUCCEEDED");
    assertThat(sentTo(host)).hasSize(2);
  }

  @Test
  void anMdmCommandEnqueuedWithoutCommandUuidIsMatchedByItsPlistsCommandUuid() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String inPlist = UUID.randomUUID().toString().toUpperCase(java.util.Locale.ROOT);
    String raw =
        Base64.getEncoder()
            .encodeToString(plist("RestartDevice", inPlist).getBytes(StandardCharsets.UTF_8));

    String id =
        intake
            .post(
                "/v1/hosts/" + host + "/activities",
                "{\"type\":\"mdm_command\",\"payload\":{\"platform\":\"apple\","
                    + "\"request_type\":\"RestartDevice\",\"raw_command\":\""
                    + raw
                    + "\"}}")
            .text("activity_id");

    awaitState(id, "DELIVERED");
    webhook(WEBHOOK_SECRET, host, inPlist, "Acknowledged");
    awaitState(id, "SUCCEEDED");
  }

  @Test
  void anMdmErrorEndsTheActivityFailed() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String commandUuid = UUID.randomUUID().toString();
    String command = plist("RestartDevice", commandUuid);
    String id = enqueueMdmCommand(host, commandUuid, command);
    awaitState(id, "DELIVERED");

    webhook(WEBHOOK_SECRET, host, commandUuid, "Error");

    awaitState(id, "FAILED");
    assertThat(sentTo(host).get(0).body()).isEqualTo(command);
  }

  @Test
  void aWebhookWithoutTheSecretIsRefused() throws Exception {
    assertThat(
            webhook("wrong-secret", "enrollment-x", UUID.randomUUID().toString(), "Acknowledged")
                .status())
        .isEqualTo(401);
  }

  @Test
  void anAckFromAnotherEnrollmentForLineupsCommandUuidChangesNothing() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String commandUuid = UUID.randomUUID().toString();
    String id = enqueueMdmCommand(host, commandUuid, plist("RestartDevice", commandUuid));
    awaitState(id, "DELIVERED");

    assertThat(
            webhook(WEBHOOK_SECRET, "enrollment-of-another-device", commandUuid, "Acknowledged")
                .status())
        .isEqualTo(200);

    Thread.sleep(1000);
    assertThat(intake.get("/v1/activities/" + id).text("state")).isEqualTo("DELIVERED");
    webhook(WEBHOOK_SECRET, host, commandUuid, "Acknowledged");
    awaitState(id, "SUCCEEDED");
  }

  @Test
  void webhookOutputIsCutToTheLimitWithNulReplaced() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String commandUuid = UUID.randomUUID().toString();
    String id = enqueueMdmCommand(host, commandUuid, plist("RestartDevice", commandUuid));
    awaitState(id, "DELIVERED");

    var answer =
        webhook(WEBHOOK_SECRET, host, commandUuid, "Error", "err\u0000or " + "x".repeat(200_000));

    assertThat(answer.status()).isEqualTo(200);
    awaitState(id, "FAILED");
    @SuppressWarnings("unchecked")
    String output =
        (String)
            ((Map<String, Object>) intake.get("/v1/activities/" + id).body().get("result"))
                .get("output");
    assertThat(output).startsWith("err\uFFFDor xxx").endsWith("\n[truncated]");
    assertThat(output.getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(65_536);
  }

  @Test
  void aCommandTheAdapterCannotBuildEndsFailedAndTheHostsQueueMovesOn() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    // Intake refuses such an id; a release written by another producer can still carry one.
    ReleasedActivity release =
        TopicProbe.released(
            TopicProbe.activity(
                host,
                ActivityType.APP_STORE_INSTALL,
                Channel.MDM,
                AppStoreInstallPayload.newBuilder()
                    .setPlatform(Platform.APPLE)
                    .setAppStoreId("not-a-number")
                    .build()),
            Instant.now().plus(Duration.ofHours(1)));

    topics.write(Topics.RELEASED_MDM, host, release);

    var failed =
        topics.awaitResult(
            release.getActivity().getActivityId(), r -> r.getKind() == ResultKind.FAILED);
    assertThat(failed.getOutput()).contains("app_store_id").contains("not-a-number");
    String lock = enqueueLock(host);
    awaitState(lock, "DELIVERED");
    assertThat(sentTo(host)).hasSize(1);
  }

  /** Enqueues on a host of its own, and answers the command NanoMDM got for it, acknowledged. */
  private static String sentAndAcknowledged(String type, String payload) throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    var accepted =
        intake.post(
            "/v1/hosts/" + host + "/activities",
            "{\"type\":\"" + type + "\",\"payload\":" + payload + "}");
    assertThat(accepted.status()).as(String.valueOf(accepted.body())).isEqualTo(202);
    String id = accepted.text("activity_id");
    awaitState(id, "DELIVERED");
    String body = sentTo(host).get(0).body();
    // A well-formed plist whose CommandUUID is the activity id: what the acknowledgement names.
    assertThat(
            dev.lineup.schemas.mdm.CommandPlist.commandUuid(body.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(id);
    assertThat(webhook(WEBHOOK_SECRET, host, id, "Acknowledged").status()).isEqualTo(200);
    awaitState(id, "SUCCEEDED");
    return body;
  }

  @Test
  void aProfileInstallSendsTheStoredSignedProfile() throws Exception {
    byte[] profile =
        ("<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>PayloadIdentifier</key>"
                + "<string>com.example.wifi."
                + UUID.randomUUID()
                + "</string></dict></plist>")
            .getBytes(StandardCharsets.UTF_8);
    String sha = intake.put("/v1/contents", profile).text("sha256");

    String sent =
        sentAndAcknowledged(
            "profile_install",
            "{\"platform\":\"apple\",\"profile_identifier\":\"com.example.wifi\","
                + "\"profile_sha256\":\""
                + sha
                + "\"}");

    assertThat(sent)
        .contains("<string>InstallProfile</string>")
        .contains(
            "<key>Payload</key><data>" + Base64.getEncoder().encodeToString(profile) + "</data>");
  }

  @Test
  void aProfileRemoveNamesTheProfileByItsIdentifier() throws Exception {
    String sent =
        sentAndAcknowledged(
            "profile_remove",
            "{\"platform\":\"apple\",\"profile_identifier\":\"com.example.vpn&co\"}");

    assertThat(sent)
        .contains("<string>RemoveProfile</string>")
        .contains("<key>Identifier</key><string>com.example.vpn&amp;co</string>");
  }

  @Test
  void anAppStoreInstallNamesTheAppByItsStoreId() throws Exception {
    String sent =
        sentAndAcknowledged(
            "app_store_install",
            "{\"platform\":\"apple\",\"app_store_id\":\"409183694\","
                + "\"bundle_id\":\"com.apple.Keynote\"}");

    assertThat(sent)
        .contains("<string>InstallApplication</string>")
        .contains("<key>iTunesStoreID</key><integer>409183694</integer>")
        .contains("<key>ManagementFlags</key><integer>1</integer>");
  }

  @Test
  void aLockCarriesItsMessageAndAWipeIsAnEraseDevice() throws Exception {
    String lock = sentAndAcknowledged("lock", "{\"message\":\"Lost? Call IT <555-0100>\\u0007\"}");
    String wipe = sentAndAcknowledged("wipe", "{}");

    assertThat(lock)
        .contains("<string>DeviceLock</string>")
        // The bell, which XML forbids, is replaced: the plist stays well-formed (parsed above).
        .contains("<key>Message</key><string>Lost? Call IT &lt;555-0100&gt;\uFFFD</string>")
        .doesNotContain("PIN");
    assertThat(wipe).contains("<string>EraseDevice</string>");
  }

  @Test
  void anAppleAppStoreIdThatIsNotANumberIsRefusedAtTheDoor() throws Exception {
    var refused =
        intake.post(
            "/v1/hosts/enrollment-" + UUID.randomUUID() + "/activities",
            "{\"type\":\"app_store_install\",\"payload\":{\"platform\":\"apple\","
                + "\"app_store_id\":\"keynote\"}}");

    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body().toString()).contains("payload.app_store_id");
  }

  @Test
  void aWindowsCommandIsLeftToTheWindowsBridgeWhichReportsItsResult() throws Exception {
    String host = "windows-" + UUID.randomUUID();
    String commandUuid = UUID.randomUUID().toString();
    String syncMl =
        "<Exec><CmdID>"
            + commandUuid
            + "</CmdID><Item><Target><LocURI>./Device/Vendor/MSFT/RemoteWipe/doWipe</LocURI>"
            + "</Target></Item></Exec>";
    try (var bridge = new WindowsMdmBridge(kafkaBootstrap)) {
      String id =
          intake
              .post(
                  "/v1/hosts/" + host + "/activities",
                  "{\"type\":\"mdm_command\",\"payload\":{\"platform\":\"windows\","
                      + "\"request_type\":\"Exec\",\"command_uuid\":\""
                      + commandUuid
                      + "\",\"raw_command\":\""
                      + Base64.getEncoder().encodeToString(syncMl.getBytes(StandardCharsets.UTF_8))
                      + "\"}}")
              .text("activity_id");

      awaitState(id, "SUCCEEDED");
      assertThat(bridge.received)
          .extracting(WindowsMdmBridge.Received::activityId, WindowsMdmBridge.Received::cmdId)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(id, commandUuid));
      @SuppressWarnings("unchecked")
      Map<String, Object> result =
          (Map<String, Object>) intake.get("/v1/activities/" + id).body().get("result");
      assertThat((String) result.get("output")).contains("<CmdRef>" + commandUuid + "</CmdRef>");
      // The Apple adapter left it alone.
      assertThat(sentTo(host)).isEmpty();
    }
  }

  @Test
  void aCommandNanoMdmRefusesEndsFailedWithItsAnswer() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    answers.put(host, 400);
    String commandUuid = UUID.randomUUID().toString();

    String id = enqueueMdmCommand(host, commandUuid, plist("RestartDevice", commandUuid));

    awaitState(id, "FAILED");
    @SuppressWarnings("unchecked")
    String output =
        (String)
            ((Map<String, Object>) intake.get("/v1/activities/" + id).body().get("result"))
                .get("output");
    assertThat(output).contains("400");
  }

  @Test
  void whileNanoMdmIsDownMdmCommandsWaitAgentsGetTheirTasksAndHealthStays200SayingSo()
      throws Exception {
    String mdmHost = "enrollment-" + UUID.randomUUID();
    String agentHost = "agent-" + UUID.randomUUID();
    LineupClient agent =
        gateway.as(
            gateway
                .post(
                    "/v1/agent/enroll",
                    "{\"host_id\":\"" + agentHost + "\",\"enroll_secret\":\"" + ENROLL + "\"}")
                .text("host_token"));
    var warnings =
        new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    warnings.start();
    var root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(warnings);
    try {
      down = true;

      String lock = enqueueLock(mdmHost);
      awaitState(lock, "RELEASED");
      String script =
          intake
              .post(
                  "/v1/hosts/" + agentHost + "/activities",
                  "{\"type\":\"script_run\",\"payload\":{\"script\":\"echo meanwhile\"}}")
              .text("activity_id");

      var task = agent.get("/v1/agent/tasks/next?wait=20");
      assertThat(task.text("activity_id")).isEqualTo(script);
      // A load balancer keeps the gateway: agents are served. The body says what is down.
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                var health = gateway.get("/health");
                assertThat(health.status()).isEqualTo(200);
                assertThat(health.body().get("status")).isEqualTo("degraded");
                assertThat(health.body().get("checks"))
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                    .containsEntry("mdm-server", "down")
                    .containsEntry("released-mdm-consumer", "up");
              });
      // The command is retried with backoff meanwhile, and health is asked again and again.
      for (int i = 0; i < 10; i++) {
        assertThat(gateway.get("/health").status()).isEqualTo(200);
        Thread.sleep(300);
      }
      assertThat(intake.get("/v1/activities/" + lock).text("state")).isEqualTo("RELEASED");
      assertThat(
              warnings.list.stream()
                  .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                  .filter(
                      e ->
                          e.getFormattedMessage().contains("NanoMDM")
                              || e.getFormattedMessage().contains("gateway-released-mdm"))
                  .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage))
          .as("one WARN line for the outage")
          .hasSize(1);

      down = false;

      awaitState(lock, "DELIVERED");
      assertThat(sentTo(mdmHost)).hasSize(1);
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> {
                var health = gateway.get("/health");
                assertThat(health.status()).isEqualTo(200);
                assertThat(health.body().get("status")).isEqualTo("up");
                assertThat(health.body().get("checks"))
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                    .containsEntry("mdm-server", "up");
              });
    } finally {
      root.detachAppender(warnings);
    }
  }

  @Test
  void aCommandWhoseCancelIsSeenBeforeItsReleaseIsNeverSent() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String commandUuid = UUID.randomUUID().toString();
    ReleasedActivity release = mdmRelease(host, commandUuid, plist("RestartDevice", commandUuid));

    topics.awaitConsumed(
        REVOCATIONS_GROUP, topics.write(Topics.REVOCATIONS, host, TopicProbe.cancelled(release)));
    topics.write(Topics.RELEASED_MDM, host, release);
    String lock = enqueueLock(host);

    awaitState(lock, "DELIVERED");
    assertThat(sentTo(host))
        .extracting(Enqueued::body)
        .noneMatch(body -> body.contains(commandUuid));
  }

  @Test
  void aRawCommandWhoseCommandUuidDisagreesIsNeverSentAndItsAttemptFails() throws Exception {
    String host = "enrollment-" + UUID.randomUUID();
    String matched = UUID.randomUUID().toString();
    String inside = UUID.randomUUID().toString();
    ReleasedActivity release = mdmRelease(host, matched, plist("EraseDevice", inside));

    topics.write(Topics.RELEASED_MDM, host, release);

    var failed =
        topics.awaitResult(
            release.getActivity().getActivityId(), r -> r.getKind() == ResultKind.FAILED);
    assertThat(failed.getOutput()).contains("CommandUUID");
    String lock = enqueueLock(host);
    awaitState(lock, "DELIVERED");
    assertThat(sentTo(host)).extracting(Enqueued::body).noneMatch(body -> body.contains(inside));
  }
}
