package dev.lineup.service.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-address budget counts the client's real address: without a configured proxy header the
 * connection's (whatever X-Forwarded-For or Forwarded the client sends), with one the entry the
 * proxy appended last (not one the client put in front of it). {@code /health} is never charged to
 * a budget nor refused by one: orchestrators probe it from one address.
 *
 * <p>The real filter and rate limits in a Micronaut server of their own, with one open path to
 * spend the budget on.
 */
class ClientAddressBudgetTest {

  private static final String SPEC = "ClientAddressBudgetTest";
  private static final int BURST = 3;

  /** An open path: charged to its caller's address like an enroll or a webhook. */
  @Requires(property = "spec.name", value = SPEC)
  @Controller("/v1/open")
  static final class OpenController {
    @Get
    String open() {
      return "ok";
    }
  }

  // HTTP/1.1: the default tries an h2c upgrade on every plain-HTTP request.
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private EmbeddedServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.getApplicationContext().close();
    }
  }

  private void start(Map<String, Object> extra) {
    Map<String, Object> properties = new java.util.HashMap<>();
    properties.put("spec.name", SPEC);
    properties.put("micronaut.server.port", -1);
    properties.put("micronaut.server.host", "127.0.0.1");
    properties.put("lineup.rate-limit.per-second", 1);
    properties.put("lineup.rate-limit.burst", 1);
    properties.put("lineup.rate-limit.per-address.per-second", 1);
    properties.put("lineup.rate-limit.per-address.burst", BURST);
    properties.putAll(extra);
    server = ApplicationContext.run(EmbeddedServer.class, properties);
  }

  private int get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.getURL() + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void withoutAProxyHeaderAClientCannotDodgeItsBudgetBySendingItsOwnForwardedFor()
      throws Exception {
    start(Map.of());
    List<Integer> statuses = new ArrayList<>();

    for (int i = 0; i < BURST + 3; i++) {
      statuses.add(
          get("/v1/open", "X-Forwarded-For", "203.0.113." + i, "Forwarded", "for=198.51.100." + i));
    }

    assertThat(statuses.subList(0, BURST)).containsOnly(200);
    assertThat(statuses.subList(BURST, statuses.size())).containsOnly(429);
  }

  @Test
  void behindAProxyOnlyTheEntryTheProxyAppendedCountsNotOneTheClientPutInFront() throws Exception {
    start(Map.of("micronaut.server.client-address-header", "X-Forwarded-For"));
    List<Integer> statuses = new ArrayList<>();

    // The client sends X-Forwarded-For: 203.0.113.<i>; the proxy appends the address it saw.
    for (int i = 0; i < BURST + 3; i++) {
      statuses.add(get("/v1/open", "X-Forwarded-For", "203.0.113." + i + ", 192.0.2.7"));
    }

    assertThat(statuses.subList(0, BURST)).containsOnly(200);
    assertThat(statuses.subList(BURST, statuses.size())).containsOnly(429);
    // Another client behind the same proxy has a budget of its own.
    assertThat(get("/v1/open", "X-Forwarded-For", "192.0.2.8")).isEqualTo(200);
  }

  @Test
  void behindAProxyThatWritesForwardedTheRightMostElementsForCounts() throws Exception {
    start(Map.of("micronaut.server.client-address-header", "Forwarded"));
    List<Integer> statuses = new ArrayList<>();

    for (int i = 0; i < BURST + 3; i++) {
      statuses.add(
          get("/v1/open", "Forwarded", "for=203.0.113." + i + ", for=\"192.0.2.7\";proto=http"));
    }

    assertThat(statuses.subList(0, BURST)).containsOnly(200);
    assertThat(statuses.subList(BURST, statuses.size())).containsOnly(429);
    assertThat(get("/v1/open", "Forwarded", "for=192.0.2.8")).isEqualTo(200);
  }

  @Test
  void healthIsNeitherChargedToTheAddressNorRefusedOnceItsBudgetIsUsedUp() throws Exception {
    start(Map.of());
    List<Integer> health = new ArrayList<>();
    for (int i = 0; i < BURST + 3; i++) {
      health.add(get("/health"));
    }
    assertThat(health).containsOnly(200);
    // All the probes cost the address nothing: its whole burst is still there.
    for (int i = 0; i < BURST; i++) {
      assertThat(get("/v1/open")).isEqualTo(200);
    }
    assertThat(get("/v1/open")).isEqualTo(429);

    assertThat(get("/health")).isEqualTo(200);
  }
}
