package dev.lineup.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lineup.embedded.EmbeddedKafka;
import dev.lineup.embedded.FreePorts;
import dev.lineup.embedded.LineupInfrastructure;
import dev.lineup.intake.ops.HostQueueController;
import io.micronaut.http.HttpResponse;
import io.micronaut.json.JsonMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The ops page at {@code /ui/} in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}; {@code .ci/run} installs them) on the real services, broker and PostgreSQL, and
 * the intake endpoints it needs, with their bad input. The browser test saves what the page showed
 * last to {@code target/ops-page.png}, also when it fails.
 */
@ExtendWith(LineupInfrastructure.class)
class OpsPageTest {

  private static final String ADMIN = "ops-page-admin-token-0123456789";
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path SCREENSHOT = Path.of("target", "ops-page.png");
  private static final Path OBSERVER_SCREENSHOT = Path.of("target", "ops-page-observer.png");

  private static LineupServices services;
  private static LineupClient admin;
  private static RequestsTopic requestsTopic;

  @BeforeAll
  static void start(EmbeddedKafka kafka, dev.lineup.embedded.EmbeddedDatabase database)
      throws Exception {
    requestsTopic = new RequestsTopic(kafka.bootstrapServers());
    services =
        LineupServices.start(
            new LineupServices.Settings(
                kafka.bootstrapServers(),
                database,
                Files.createTempDirectory("ops-page-state"),
                ADMIN,
                "ops-page-enroll-secret-0123456789",
                0,
                0,
                0,
                Map.of()));
    services.awaitHealthy(Duration.ofMinutes(2));
    admin =
        new LineupClient(services.intakeUrl(), ADMIN, services.intake().getBean(JsonMapper.class));
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  private static String token(String role) throws Exception {
    String name = role + "-" + UUID.randomUUID().toString().substring(0, 8);
    var created = admin.post("/v1/tokens", "{\"name\":\"" + name + "\",\"role\":\"" + role + "\"}");
    assertThat(created.status()).isEqualTo(201);
    return created.text("token");
  }

  private static String enqueueScript(String host, String script) throws Exception {
    var answer =
        admin.post(
            "/v1/hosts/" + host + "/activities",
            "{\"type\":\"script_run\",\"payload\":{\"script\":\"" + script + "\"}}");
    assertThat(answer.status()).isEqualTo(202);
    return answer.text("activity_id");
  }

  @Test
  void anOperatorSignsInFindsAHostCancelsAnUpcomingActivityAndWatchesItEnd() throws Exception {
    // Given a host whose agent is not polling: its first activity is released and stays in
    // flight, the second waits behind it.
    String host = "ops-host-" + UUID.randomUUID();
    String first = enqueueScript(host, "echo first");
    String second = enqueueScript(host, "echo second");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> admin.get("/v1/activities/" + second).text("state"), "QUEUED"::equals);
    String batch = enqueueBatch();
    String operator = token("operator");

    WebDriver browser = browser();
    try {
      var wait = new WebDriverWait(browser, Duration.ofSeconds(20));
      browser.get(services.intakeUrl().resolve("/ui/").toString());
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
      // A marker the page keeps until something reloads it: the cancel must show without one.
      ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("window.notReloaded = true");

      // A wrong token is refused, saying so.
      signIn(browser, "not-a-lineup-token-000000000");
      wait.until(
          ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-error"), "refused"));
      assertThat(browser.findElement(By.id("console")).isDisplayed()).isFalse();

      // The operator signs in and sees the summary counts.
      signIn(browser, operator);
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "(operator)"));
      wait.until(
          ExpectedConditions.textToBePresentInElementLocated(By.id("summary"), "script_run"));
      assertThat(browser.findElement(By.id("summary")).getText()).contains("QUEUED", "RELEASED");
      wait.until(
          ExpectedConditions.presenceOfElementLocated(
              By.cssSelector("#batches tr[data-batch-id='" + batch + "']")));

      // Finds the host: both activities are in the sequencer's live queue and in the ledger.
      WebElement hostField = browser.findElement(By.id("host-id"));
      hostField.sendKeys(host, Keys.ENTER);
      wait.until(ExpectedConditions.presenceOfElementLocated(queueRow(first)));
      wait.until(ExpectedConditions.presenceOfElementLocated(queueRow(second)));
      assertThat(browser.findElement(queueRow(first)).getText()).contains("RELEASED");
      assertThat(browser.findElement(queueRow(second)).getText()).contains("QUEUED");

      // Cancels the second from the keyboard (its button, named for the activity, and Enter), and
      // watches it become CANCELLED without reloading.
      WebElement cancel =
          wait.until(
              ExpectedConditions.elementToBeClickable(
                  By.cssSelector("#activities tr[data-activity-id='" + second + "'] button")));
      assertThat(cancel.getAccessibleName()).isEqualTo("Cancel activity " + second);
      cancel.sendKeys(Keys.ENTER);
      wait.until(
          ExpectedConditions.textToBePresentInElementLocated(
              By.cssSelector("#activities tr[data-activity-id='" + second + "'] .state"),
              "CANCELLED"));
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "CANCELLED"));
      wait.until(ExpectedConditions.invisibilityOfElementLocated(queueRow(second)));
      assertThat(browser.findElement(queueRow(first)).getText()).contains("RELEASED");

      // The event tail shows it too.
      wait.until(
          ExpectedConditions.textToBePresentInElementLocated(
              By.cssSelector("#events li[data-activity-id='" + second + "']"), "CANCELLED"));
      assertThat(
              ((org.openqa.selenium.JavascriptExecutor) browser)
                  .executeScript("return window.notReloaded === true"))
          .isEqualTo(true);
      assertThat(admin.get("/v1/activities/" + second).text("state")).isEqualTo("CANCELLED");
    } finally {
      screenshot(browser, SCREENSHOT);
      browser.quit();
    }
  }

  private static String enqueueBatch() throws Exception {
    var answer =
        admin.post(
            "/v1/batches",
            "{\"activities\":[{\"host_id\":\"batched-"
                + UUID.randomUUID()
                + "\",\"type\":\"lock\",\"payload\":{}},{\"host_id\":\"batched-"
                + UUID.randomUUID()
                + "\",\"type\":\"lock\",\"payload\":{}}]}");
    assertThat(answer.status()).isEqualTo(202);
    return answer.text("batch_id");
  }

  @Test
  void theNewestBatchesComeFirstWithTheirCountsAndTheLimitIsBounded() throws Exception {
    String older = enqueueBatch();
    String newer = enqueueBatch();
    LineupClient observer = admin.as(token("observer"));

    var answer = observer.get("/v1/batches?limit=2");
    assertThat(answer.status()).isEqualTo(200);
    @SuppressWarnings("unchecked")
    var batches = (List<Map<String, Object>>) answer.body().get("batches");
    assertThat(batches).extracting(b -> b.get("batch_id")).containsExactly(newer, older);
    assertThat(batches.get(0)).containsEntry("size", 2).containsKeys("state", "counts");

    for (String bad : List.of("0", "51", "x")) {
      var refused = admin.get("/v1/batches?limit=" + bad);
      assertThat(refused.status()).as(bad).isEqualTo(400);
      assertThat(refused.body().toString()).as(bad).contains("limit");
    }
    assertThat(admin.as(null).get("/v1/batches").status()).isEqualTo(401);
  }

  @Test
  void anObserverSeesTheHostButNoActionsAndTheApiRefusesItsCancel() throws Exception {
    String host = "observed-" + UUID.randomUUID();
    enqueueScript(host, "echo one");
    String waiting = enqueueScript(host, "echo two");
    String observer = token("observer");
    String poisoned = "poisoned-" + UUID.randomUUID();
    requestsTopic.sendRaw(poisoned, "not avro".getBytes(StandardCharsets.UTF_8));

    WebDriver browser = browser();
    try {
      var wait = new WebDriverWait(browser, Duration.ofSeconds(20));
      browser.get(services.intakeUrl().resolve("/ui/").toString());
      signIn(browser, observer);
      wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "read only"));
      WebElement hostField = browser.findElement(By.id("host-id"));
      hostField.sendKeys(host, Keys.ENTER);
      wait.until(
          ExpectedConditions.presenceOfElementLocated(
              By.cssSelector("#activities tr[data-activity-id='" + waiting + "']")));
      assertThat(browser.findElements(By.cssSelector("#activities button"))).isEmpty();
      assertThat(browser.findElement(By.id("cancel-all")).isDisplayed()).isFalse();
      assertThat(browser.findElement(By.id("pause")).isDisplayed()).isFalse();

      // The dead letters, with their reason, are the observer's to read too.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                browser.findElement(By.cssSelector("#dlq-form button[type=submit]")).click();
                wait.until(
                    ExpectedConditions.textToBePresentInElementLocated(
                        By.id("dlq-note"), "newest"));
                assertThat(browser.findElement(By.id("dlq")).getText())
                    .contains(poisoned, "undecodable", "lineup.requests");
              });
    } finally {
      screenshot(browser, OBSERVER_SCREENSHOT);
      browser.quit();
    }
    var refused = admin.as(observer).delete("/v1/hosts/" + host + "/activities/" + waiting);
    assertThat(refused.status()).isEqualTo(403);
  }

  @Test
  void thePageIsServedWithoutATokenUnderAPolicyThatRunsOnlyItsOwnScript() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    var page =
        http.send(
            HttpRequest.newBuilder(services.intakeUrl().resolve("/ui/")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
    assertThat(page.headers().firstValue("content-security-policy"))
        .hasValueSatisfying(
            csp -> assertThat(csp).contains("default-src 'self'", "script-src 'self'"));
    assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
    assertThat(page.headers().firstValue("referrer-policy")).hasValue("no-referrer");
    assertThat(page.body()).contains("<script src=\"ops.js\" defer></script>");
    assertThat(page.body()).doesNotContain("<script>", "onclick=", "style=");

    var script =
        http.send(
            HttpRequest.newBuilder(services.intakeUrl().resolve("/ui/ops.js")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).contains("javascript"));
    assertThat(script.body()).doesNotContain("innerHTML", "localStorage", "document.cookie");
  }

  @Test
  void thePagesFilesAreAllItServesNotTheClasspathAroundThem() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (String path :
        List.of(
            "/ui/../application-intake.yml",
            "/ui/%2e%2e/application-intake.yml",
            "/ui/%2E%2E%2Fapplication-intake.yml",
            "/ui/..%2fapplication-intake.yml",
            "/ui/..%5capplication-intake.yml",
            "/ui/%2e%2e/db/intake/V1__ledger.sql",
            "/ui/../dev/lineup/intake/IntakeApplication.class")) {
      var answer =
          http.send(
              HttpRequest.newBuilder(URI.create(services.intakeUrl() + path)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(path).isNotEqualTo(200);
      assertThat(answer.body()).as(path).doesNotContain("lineup:", "CREATE TABLE");
    }
  }

  @Test
  void theLiveQueueIsTheSequencersViewForAnyRoleAndItsBadInputIsA400NamingTheField()
      throws Exception {
    String host = "queued-" + UUID.randomUUID();
    String first = enqueueScript(host, "echo a");
    String observer = token("observer");

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var queue = admin.as(observer).get("/v1/hosts/" + host + "/queue");
              assertThat(queue.status()).isEqualTo(200);
              assertThat(queue.body().get("host_id")).isEqualTo(host);
              assertThat(queue.body().get("in_flight").toString()).contains(first);
            });

    assertThat(admin.get("/v1/hosts/never-seen-" + UUID.randomUUID() + "/queue").status())
        .isEqualTo(404);
    var badHost = admin.get("/v1/hosts/" + "h".repeat(256) + "/queue");
    assertThat(badHost.status()).isEqualTo(400);
    assertThat(badHost.body().get("errors").toString()).contains("host_id");
    var badLimit = admin.get("/v1/hosts/" + host + "/queue?limit=0");
    assertThat(badLimit.status()).isEqualTo(400);
    assertThat(badLimit.body().get("errors").toString()).contains("limit");
    assertThat(admin.get("/v1/hosts/" + host + "/queue?limit=10001").status()).isEqualTo(400);
    assertThat(admin.as(null).get("/v1/hosts/" + host + "/queue").status()).isEqualTo(401);
    assertThat(admin.as("wrong-token-0000000000000").get("/v1/hosts/" + host + "/queue").status())
        .isEqualTo(401);
  }

  @Test
  void aSequencerThatDoesNotAnswerIsA503SayingSo() throws Exception {
    int closed = FreePorts.pick();
    HttpResponse<?> answer =
        new HostQueueController(
                URI.create("http://127.0.0.1:" + closed), ADMIN, Duration.ofSeconds(1))
            .hostQueue("any-host", 10);
    assertThat(answer.code()).isEqualTo(503);
    assertThat(answer.getHeaders().get("Retry-After")).isEqualTo("1");
    assertThat(answer.getBody().orElseThrow().toString()).contains("Sequencer unavailable");
  }

  @Test
  void theEventTailHandsOutNewEventsAfterItsCursorFilteredByHost() throws Exception {
    String host = "tailed-" + UUID.randomUUID();
    String observer = token("observer");
    LineupClient reader = admin.as(observer);
    var start = reader.get("/v1/events?limit=5");
    assertThat(start.status()).isEqualTo(200);
    String cursor = start.text("next");
    assertThat(cursor).matches("\\d+:\\d+(,\\d+:\\d+)*");

    String activity = enqueueScript(host, "echo tailed");
    enqueueScript("other-" + UUID.randomUUID(), "echo other");

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var page =
                  reader.get(
                      "/v1/events?host="
                          + host
                          + "&after="
                          + java.net.URLEncoder.encode(cursor, StandardCharsets.UTF_8));
              assertThat(page.status()).isEqualTo(200);
              @SuppressWarnings("unchecked")
              var events = (List<Map<String, Object>>) page.body().get("events");
              assertThat(events).isNotEmpty().allMatch(e -> host.equals(e.get("host_id")));
              assertThat(events.get(0))
                  .containsEntry("activity_id", activity)
                  .containsEntry("state", "QUEUED")
                  .containsEntry("reason", "ACCEPTED")
                  .containsEntry("type", "script_run")
                  .containsEntry("lane", "default");
            });
  }

  @Test
  void theEventTailsBadInputIsA400NamingTheField() throws Exception {
    for (var bad :
        Map.of(
                "/v1/events?limit=0", "limit",
                "/v1/events?limit=501", "limit",
                "/v1/events?after=garbage", "after",
                "/v1/events?after=0:1,x", "after",
                "/v1/events?after=99999:0", "after",
                "/v1/events?after=1:99999999999999999999", "after",
                "/v1/events?host=%01", "host",
                "/v1/events?host=*", "host")
            .entrySet()) {
      var answer = admin.get(bad.getKey());
      assertThat(answer.status()).as(bad.getKey()).isEqualTo(400);
      assertThat(admin.contentType).startsWith("application/problem+json");
      assertThat(answer.body().get("errors").toString()).as(bad.getKey()).contains(bad.getValue());
    }
    assertThat(admin.as(null).get("/v1/events").status()).isEqualTo(401);
  }

  @Test
  void deadLettersShowTheirReasonAndOriginAndTheirBadInputIsA400() throws Exception {
    String host = "poisoned-" + UUID.randomUUID();
    requestsTopic.sendRaw(host, "not avro at all".getBytes(StandardCharsets.UTF_8));
    LineupClient observer = admin.as(token("observer"));

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              var answer = observer.get("/v1/dead-letters?topic=lineup.requests.dlq&limit=200");
              assertThat(answer.status()).isEqualTo(200);
              @SuppressWarnings("unchecked")
              var letters = (List<Map<String, Object>>) answer.body().get("dead_letters");
              assertThat(letters)
                  .filteredOn(d -> host.equals(d.get("key")))
                  .singleElement()
                  .satisfies(
                      d -> {
                        assertThat((String) d.get("reason")).startsWith("undecodable");
                        assertThat(d.get("source_topic")).isEqualTo("lineup.requests");
                        assertThat(d.get("topic")).isEqualTo("lineup.requests.dlq");
                        assertThat(d)
                            .containsKeys("source_partition", "source_offset", "timestamp");
                      });
            });
    var all = observer.get("/v1/dead-letters");
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.body().get("dead_letters").toString()).contains(host);

    var badTopic = admin.get("/v1/dead-letters?topic=lineup.events");
    assertThat(badTopic.status()).isEqualTo(400);
    assertThat(badTopic.body().get("errors").toString()).contains("topic");
    var badLimit = admin.get("/v1/dead-letters?limit=201");
    assertThat(badLimit.status()).isEqualTo(400);
    assertThat(badLimit.body().get("errors").toString()).contains("limit");
    assertThat(admin.get("/v1/dead-letters?limit=0").status()).isEqualTo(400);
    assertThat(admin.as(null).get("/v1/dead-letters").status()).isEqualTo(401);
  }

  @Test
  void meNamesTheTokensRole() throws Exception {
    var me = admin.as(token("observer")).get("/v1/me");
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.text("role")).isEqualTo("observer");
    assertThat(admin.get("/v1/me").text("role")).isEqualTo("admin");
    assertThat(admin.as(null).get("/v1/me").status()).isEqualTo(401);
  }

  private static By queueRow(String activityId) {
    return By.cssSelector("#queue tr[data-activity-id='" + activityId + "']");
  }

  private static void signIn(WebDriver browser, String token) {
    WebElement field = browser.findElement(By.id("token"));
    field.clear();
    field.sendKeys(token);
    browser.findElement(By.cssSelector("#sign-in-form button[type=submit]")).click();
  }

  /**
   * Debian's Chromium through its own chromedriver, both named by path, so Selenium Manager never
   * looks for (or downloads) a browser or driver.
   */
  private static WebDriver browser() throws Exception {
    assertThat(CHROMEDRIVER)
        .as("chromedriver is missing: apt-get install chromium chromium-driver (.ci/run does)")
        .isExecutable();
    assertThat(CHROMIUM).as("chromium is missing: apt-get install chromium").isExecutable();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        "--user-data-dir=" + Files.createTempDirectory("ops-page-chromium"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }

  private static void screenshot(WebDriver browser, Path to) {
    try {
      Path taken = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE).toPath();
      Files.createDirectories(to.getParent());
      Files.copy(taken, to, StandardCopyOption.REPLACE_EXISTING);
    } catch (Exception e) {
      // The test's own failure, if any, is what matters; a missing picture must not hide it.
      System.err.println("could not save " + to + ": " + e);
    }
  }
}
